package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// The log lines explain reads: what the server logs for a request IAM policies refused, or
// would have refused under --iam-enforcement log (internal/app's logDenial).
const (
	deniedLine     = "IAM denied"
	wouldDenyLine  = "IAM would deny"
	explainMaxLine = 1 << 20
)

func newExplainCommand() *cobra.Command {
	var logPath string
	cmd := &cobra.Command{
		Use:   "explain REQUEST_ID",
		Short: "Say why IAM policies denied a request, from the server's log",
		Long: `Explain reads connectfed serve's log (text or JSON, from --log or standard input), finds
the line the server wrote when IAM policies denied the request with this id (the RequestId of the
AccessDenied answer, which the AWS CLI prints with --debug and the SDKs keep on the error), and says
who asked for what, which kind of policy decided, and which statements applied.`,
		Example: `  # The request id is in the error the SDK returned, or in the access log
  connectfed explain 3f2a9c1e-6b7d-4f0e-9a51-0c2d8e4b7a10 --log connectfed.log

  # Straight from a running server's output
  connectfed serve 2>&1 | tee connectfed.log
  connectfed explain 3f2a9c1e-6b7d-4f0e-9a51-0c2d8e4b7a10 < connectfed.log`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := cmd.InOrStdin()
			if logPath != "" && logPath != "-" {
				f, err := os.Open(logPath)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			return explain(in, cmd.OutOrStdout(), args[0])
		},
	}
	cmd.Flags().StringVar(&logPath, "log", "-", "the server's log file (- for standard input)")
	return cmd
}

// explain finds the denial of request id in a log and prints why.
func explain(in io.Reader, out io.Writer, id string) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), explainMaxLine)
	for sc.Scan() {
		fields := logFields(sc.Text())
		if fields["request_id"] != id || (fields["msg"] != deniedLine && fields["msg"] != wouldDenyLine) {
			continue
		}
		printExplanation(out, id, fields)
		return nil
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read the log: %w", err)
	}
	return fmt.Errorf("no IAM denial of request %s in the log: either the request was not denied by a policy, or the log "+
		"does not reach back to it (the server logs denials at info: --log-level info or lower)", id)
}

func printExplanation(w io.Writer, id string, f map[string]string) {
	verb := "was denied"
	if f["msg"] == wouldDenyLine {
		verb = "would have been denied (--iam-enforcement log let it through)"
	}
	fmt.Fprintf(w, "Request %s %s.\n\n", id, verb)
	fmt.Fprintf(w, "  Caller:     %s\n  Action:     %s\n  Resource:   %s\n", f["principal"], f["action"], f["resource"])
	switch f["decision"] {
	case "explicitDeny":
		fmt.Fprintf(w, "  Decision:   explicit deny, by a Deny statement in %s\n", withArticle(f["decided_by"]))
	default:
		fmt.Fprintf(w, "  Decision:   implicit deny: no %s allows %s on this resource\n", f["decided_by"], f["action"])
	}
	fmt.Fprintf(w, "  AWS says:   %s\n\n", f["message"])
	if f["statements"] == "" {
		fmt.Fprintln(w, "No statement of any of the caller's policies applied to this action and resource.")
	} else {
		fmt.Fprintln(w, "Statements that applied to this action and resource:")
		for _, s := range strings.Split(f["statements"], "; ") {
			fmt.Fprintf(w, "  - %s\n", s)
		}
	}
	fmt.Fprintln(w)
	switch {
	case f["decided_by"] == "role trust policy":
		fmt.Fprintln(w, "The role's trust policy does not let the caller assume it (or the role does not exist, which AWS does not\n"+
			"reveal): name the caller's ARN in its Principal, or its account together with an identity policy of the caller\n"+
			"that allows sts:AssumeRole on the role; and remove any Deny of the caller.")
	case f["decision"] == "explicitDeny":
		fmt.Fprintln(w, "An explicit Deny wins over every Allow: remove or narrow the Deny statement above, or detach its policy.")
	case f["decided_by"] == "identity-based policy":
		fmt.Fprintf(w, "Grant it: add a statement allowing %s on a Resource that matches %s to a policy of the caller's user or role.\n",
			f["action"], f["resource"])
	default:
		fmt.Fprintf(w, "The caller's own policies allow it, but its %s does not: it must allow %s on %s too.\n",
			f["decided_by"], f["action"], f["resource"])
	}
}

// withArticle puts "a" or "an" before a noun phrase.
func withArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// logFields reads one line of slog's text or JSON output into its keys and values.
func logFields(line string) map[string]string {
	out := map[string]string{}
	if strings.HasPrefix(line, "{") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			for k, v := range m {
				if s, ok := v.(string); ok {
					out[k] = s
				}
			}
		}
		return out
	}
	for rest := line; rest != ""; {
		rest = strings.TrimLeft(rest, " ")
		key, after, ok := strings.Cut(rest, "=")
		if !ok || strings.ContainsRune(key, ' ') {
			return out
		}
		var value string
		if strings.HasPrefix(after, `"`) {
			q, err := strconv.QuotedPrefix(after)
			if err != nil {
				return out
			}
			value, _ = strconv.Unquote(q)
			rest = after[len(q):]
		} else {
			value, rest, _ = strings.Cut(after, " ")
		}
		out[key] = value
	}
	return out
}
