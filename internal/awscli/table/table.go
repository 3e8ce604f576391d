// Package table draws AWS CLI v2's --output table: sections per object, header and value rows,
// widths scaled to the terminal, optional colour. It prints values of the pyvalue model.
package table

import (
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/connectfed/connectfed/internal/awscli/pyvalue"
)

// The table format, as AWS CLI v2 draws it (awscli/formatter.py TableFormatter and
// awscli/table.py): one section per object, titled by the key it hangs under and indented one
// level per nesting; an object's scalars as one header row and one value row, turned into
// key/value rows when the table would be wider than the terminal; column widths scaled to the
// widest section with Python's rounding.

type tableSection struct {
	title     string
	headers   []string
	rows      [][]string
	indent    int
	numCols   int // -1 until the first header or row fixes it
	maxWidths []int
}

func newSection(title string, indent int) *tableSection {
	return &tableSection{title: title, indent: indent, numCols: -1}
}

func (s *tableSection) addHeader(headers []string) {
	s.updateWidths(headers)
	if s.numCols < 0 {
		s.numCols = len(headers)
	}
	s.headers = headers
}

func (s *tableSection) addRow(row []any) error {
	if s.numCols < 0 {
		s.numCols = len(row)
	}
	if len(row) != s.numCols {
		return fmt.Errorf("Row should have %d elements, instead it has %d", s.numCols, len(row))
	}
	cells := make([]string, len(row))
	for i, v := range row {
		cells[i] = pyvalue.Str(v)
	}
	s.rows = append(s.rows, cells)
	s.updateWidths(cells)
	return nil
}

func (s *tableSection) updateWidths(row []string) {
	if len(s.maxWidths) == 0 {
		s.maxWidths = make([]int, len(row))
		for i, c := range row {
			s.maxWidths[i] = textWidth(c)
		}
		return
	}
	for i, c := range row {
		if i < len(s.maxWidths) {
			s.maxWidths[i] = max(s.maxWidths[i], textWidth(c))
		}
	}
}

// columnWidths scales the columns (each padded) to add up to maxWidth exactly; maxWidth < 0
// means unscaled.
func (s *tableSection) columnWidths(padding, maxWidth int) []int {
	widths := make([]int, len(s.maxWidths))
	total := 0
	for i, w := range s.maxWidths {
		widths[i] = w + padding
		total += widths[i]
	}
	if maxWidth < 0 || len(widths) == 0 {
		return widths
	}
	scale := float64(maxWidth) / float64(total)
	sum := 0
	for i, w := range widths {
		// Python 3's round() rounds halves to even.
		widths[i] = int(math.RoundToEven(scale * float64(w)))
		sum += widths[i]
	}
	for off := sum - maxWidth; off != 0; {
		for j := range widths {
			i := j
			if off < 0 {
				i = len(widths) - 1 - j
			}
			if off > 0 {
				widths[i]--
				off--
			} else {
				widths[i]++
				off++
			}
			if off == 0 {
				break
			}
		}
	}
	return widths
}

func (s *tableSection) totalWidth(padding, outer int) int {
	total := 0
	for _, w := range s.columnWidths(0, -1) {
		total += w + padding
	}
	total += 2 + 2*outer
	return max(textWidth(s.title)+2+2*outer, total)
}

// Render writes v as the table format, under title, for a terminal width columns wide (color:
// with ANSI colours), keys in order; it says whether there was anything to draw.
func Render(w io.Writer, title string, v any, width int, color bool, order *pyvalue.KeyOrder) (bool, error) {
	t := &table{width: width, color: color, order: order}
	ok, err := t.build(title, true, v, 0)
	if err != nil || !ok {
		return ok, err
	}
	t.render(w)
	return true, nil
}

// Reset is the ANSI sequence that ends every colour.
const Reset = resetAll

type table struct {
	sections []*tableSection
	current  *tableSection
	width    int // the terminal's
	color    bool
	order    *pyvalue.KeyOrder
}

func (t *table) newSection(title string, indent int) {
	t.current = newSection(title, indent)
	t.sections = append(t.sections, t.current)
}

// build is TableFormatter._build_table; it reports whether there is anything to draw.
func (t *table) build(title string, hasTitle bool, v any, indent int) (bool, error) {
	if !pyvalue.Truthy(v) {
		return false, nil
	}
	if hasTitle {
		t.newSection(title, indent)
	}
	if t.current == nil {
		return false, fmt.Errorf("'NoneType' object has no attribute 'add_row'")
	}
	switch x := v.(type) {
	case []any:
		if _, isMap := x[0].(map[string]any); isMap {
			return true, t.fromList(x, indent, title)
		}
		for _, item := range x {
			var err error
			switch it := item.(type) {
			case []any:
				if !slices.ContainsFunc(it, func(e any) bool { return !pyvalue.IsScalar(e) }) {
					err = t.current.addRow(it)
				} else {
					_, err = t.build("", false, it, 0)
				}
			case map[string]any:
				// Iterating a dict yields its keys, all scalars: Python adds them as a row.
				keys := t.order.Keys(it)
				row := make([]any, len(keys))
				for i, k := range keys {
					row[i] = k
				}
				err = t.current.addRow(row)
			default:
				err = t.current.addRow([]any{item})
			}
			if err != nil {
				return true, err
			}
		}
	case map[string]any:
		return true, t.fromDict(x, indent)
	}
	return true, nil
}

func (t *table) fromDict(m map[string]any, indent int) error {
	headers, more := groupScalarKeys(m)
	switch {
	case len(headers) == 1:
		if err := t.current.addRow([]any{headers[0], m[headers[0]]}); err != nil {
			return err
		}
	case len(headers) > 1:
		t.current.addHeader(headers)
		row := make([]any, len(headers))
		for i, k := range headers {
			row[i] = m[k]
		}
		if err := t.current.addRow(row); err != nil {
			return err
		}
	}
	for _, k := range more {
		if _, err := t.build(k, true, m[k], indent+1); err != nil {
			return err
		}
	}
	return nil
}

func (t *table) fromList(list []any, indent int, title string) error {
	headerSet, moreSet := map[string]any{}, map[string]any{}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return fmt.Errorf("'%s' object has no attribute 'items'", pyvalue.TypeName(e))
		}
		h, more := groupScalarKeys(m)
		for _, k := range h {
			headerSet[k] = nil
		}
		for _, k := range more {
			moreSet[k] = nil
		}
	}
	headers, more := pyvalue.SortedKeys(headerSet), pyvalue.SortedKeys(moreSet)
	t.current.addHeader(headers)
	for i, e := range list {
		m := e.(map[string]any)
		if i > 0 && len(more) > 0 {
			t.newSection(title, indent)
			t.current.addHeader(headers)
		}
		row := make([]any, len(headers))
		for j, h := range headers {
			v, ok := m[h]
			if !ok {
				v = ""
			}
			row[j] = v
		}
		if err := t.current.addRow(row); err != nil {
			return err
		}
		for _, k := range more {
			if v, ok := m[k]; ok {
				if _, err := t.build(k, true, v, indent+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// groupScalarKeys splits an object's keys into those with scalar values and the rest, each
// sorted.
func groupScalarKeys(m map[string]any) (scalars, more []string) {
	for _, k := range pyvalue.SortedKeys(m) {
		if pyvalue.IsScalar(m[k]) {
			scalars = append(scalars, k)
		} else {
			more = append(more, k)
		}
	}
	return scalars, more
}
