package policy

import (
	"errors"
	"testing"
)

// FuzzParse: any text either parses or is refused with a SyntaxError (never a panic or another
// error), and a parsed document evaluates without panicking.
func FuzzParse(f *testing.F) {
	f.Add(documented, uint8(0))
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:*",`+
		`"Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["a*",1,true]},"Null":{"x":"true"}}}]}`, uint8(0))
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"sts:AssumeRole"}}`, uint8(1))
	f.Add(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"${aws:username, 'x'}${*}"}}`, uint8(0))
	f.Fuzz(func(t *testing.T, text string, kind uint8) {
		d, err := Parse(text, Kind(kind%2))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Message == "" {
				t.Fatalf("Parse refused with %T %v", err, err)
			}
			return
		}
		r := agentRequest(instance)
		r.Set("aws:TagKeys", "a", "b")
		_ = Decide(r, Set{Identity: []Labelled{{Doc: d}}, Boundary: []Labelled{{Doc: d}}})
	})
}
