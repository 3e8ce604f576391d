package awscli

import (
	"bytes"
	"io"
	"strings"

	"github.com/jmespath-community/go-jmespath"
	"github.com/jmespath-community/go-jmespath/pkg/parsing"

	"github.com/connectfed/connectfed/internal/awscli/pyvalue"
	"github.com/connectfed/connectfed/internal/awscli/table"
	"github.com/connectfed/connectfed/internal/awscli/yamlfmt"
)

// Output formats, the choices of --output.
var OutputFormats = []string{"json", "text", "table", "yaml", "yaml-stream"}

// Output is how a response is printed.
type Output struct {
	Format string // one of OutputFormats
	Query  *Query // nil without --query
	Color  bool   // colour the table, as --color on (or auto on a terminal) does
	Width  int    // the terminal's width, which the table fits itself to; 80 off a terminal
}

// Print writes resp, a decoded response of op, to w.
func (o Output) Print(w io.Writer, op *Operation, resp any) error {
	order := &pyvalue.KeyOrder{Subset: op.Output.memberNames(nil)}
	v := resp
	if o.Query != nil {
		order.Exact = o.Query.hashes
		o.Query.order = order
		var err error
		if v, err = o.Query.jp.Search(resp); err != nil {
			return err
		}
	}
	var b []byte
	switch o.Format {
	case "json":
		if isEmptyObject(v) {
			return nil
		}
		b = pyvalue.AppendJSON(b, v, 0, order)
		b = append(b, '\n')
	case "yaml":
		if isEmptyObject(v) {
			return nil
		}
		b = yamlfmt.Append(b, v)
	case "yaml-stream":
		if isEmptyObject(v) {
			return nil
		}
		b = yamlfmt.Append(b, []any{v})
	case "text":
		var err error
		if b, err = appendText(b, v); err != nil {
			w.Write(b)
			return err
		}
	case "table":
		var buf bytes.Buffer
		var tw io.Writer = &buf
		if o.Color {
			tw = autoReset{&buf}
		}
		if _, err := table.Render(tw, op.Name, v, o.Width, o.Color, order); err != nil {
			return err
		}
		b = buf.Bytes()
	}
	_, err := w.Write(b)
	return err
}

func isEmptyObject(v any) bool {
	m, ok := v.(map[string]any)
	return ok && len(m) == 0
}

// autoReset appends a reset sequence to every write, as colorama does to stdout once the
// coloured table has initialised it with autoreset.
type autoReset struct{ w io.Writer }

func (a autoReset) Write(p []byte) (int, error) {
	n, err := a.w.Write(p)
	if err == nil {
		_, err = io.WriteString(a.w, table.Reset)
	}
	return n, err
}

// Query is a compiled --query expression.
type Query struct {
	jp     jmespath.JMESPath
	hashes [][]string        // the keys of each multi-select hash, in the expression's order
	order  *pyvalue.KeyOrder // the order objects are in while the query runs
}

// CompileQuery compiles a --query expression, failing as AWS CLI v2 does.
func CompileQuery(expr string) (*Query, error) {
	ast, err := parsing.NewParser().Parse(expr)
	if err != nil {
		msg := err.Error()
		offset := 0
		if se, ok := err.(parsing.SyntaxError); ok {
			msg, offset = strings.TrimPrefix(se.Error(), "SyntaxError: "), se.Offset
		}
		return nil, paramErrorf("Bad value for --query %s: Invalid jmespath expression: %s:\n\"%s\"\n%s^",
			expr, msg, expr, strings.Repeat(" ", offset+1))
	}
	q := &Query{}
	objectArg := []jmespath.ArgSpec{{Types: []jmespath.JpType{jmespath.JpObject}}}
	jp, err := jmespath.Compile(expr,
		jmespath.FunctionEntry{Name: "keys", Arguments: objectArg, Handler: q.keys},
		jmespath.FunctionEntry{Name: "values", Arguments: objectArg, Handler: q.values},
		jmespath.FunctionEntry{Name: "items", Arguments: objectArg, Handler: q.items})
	if err != nil {
		return nil, paramErrorf("Bad value for --query %s: Invalid jmespath expression: %v", expr, err)
	}
	q.jp = jp
	q.collectHashes(ast)
	return q, nil
}

// keys, values and items replace the library's, which follow Go's random map order, with
// ones that follow the object's order, as Python's do.

func (q *Query) keys(args []any) (any, error) {
	m := args[0].(map[string]any)
	out := []any{}
	for _, k := range q.order.Keys(m) {
		out = append(out, k)
	}
	return out, nil
}

func (q *Query) values(args []any) (any, error) {
	m := args[0].(map[string]any)
	out := []any{}
	for _, k := range q.order.Keys(m) {
		out = append(out, m[k])
	}
	return out, nil
}

func (q *Query) items(args []any) (any, error) {
	m := args[0].(map[string]any)
	out := []any{}
	for _, k := range q.order.Keys(m) {
		out = append(out, []any{k, m[k]})
	}
	return out, nil
}

func (q *Query) collectHashes(n parsing.ASTNode) {
	if n.NodeType == parsing.ASTMultiSelectHash {
		var keys []string
		seen := map[string]bool{}
		for _, c := range n.Children {
			if k, ok := c.Value.(string); ok && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		q.hashes = append(q.hashes, keys)
	}
	for _, c := range n.Children {
		q.collectHashes(c)
	}
}
