package limits

import (
	"regexp"
	"strings"
	"testing"
)

// ValidPassword agrees with the pattern of Connect's model, which Go's regexp cannot write
// (no lookahead): ^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[a-zA-Z\d\S]{8,64}$.
func TestValidPasswordMatchesModel(t *testing.T) {
	shape := regexp.MustCompile(`^[a-zA-Z\d\S]{8,64}$`)
	model := func(p string) bool {
		return shape.MatchString(p) && strings.ContainsAny(p, "abcdefghijklmnopqrstuvwxyz") &&
			strings.ContainsAny(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && strings.ContainsAny(p, "0123456789")
	}
	for _, p := range []string{"", "Passw0r", "Passw0rd", "password1", "PASSWORD1", "Password",
		"Pass w0rd", "Pass\tw0rd", "Pass\fw0rd", "Päss-w0rd!", strings.Repeat("aA1", 21) + "x",
		strings.Repeat("aA1", 21) + "xy", "Pass\vw0rd"} {
		if got, want := ValidPassword(p), model(p); got != want {
			t.Errorf("ValidPassword(%q) = %v, the model says %v", p, got, want)
		}
	}
}
