package table

import (
	"io"
	"slices"
	"strings"
)

// render draws the table. Its writes go through w one by one as Python's do, because with
// colour on, colorama's autoreset appends a reset sequence to every single write.
func (t *table) render(w io.Writer) {
	maxWidth := t.maxWidth()
	if maxWidth > t.width {
		t.verticalize()
		maxWidth = t.maxWidth()
	}
	io.WriteString(w, strings.Repeat("-", maxWidth)+"\n")
	for _, s := range t.sections {
		t.renderSection(w, s, maxWidth)
	}
}

func (t *table) maxWidth() int {
	m := 0
	for _, s := range t.sections {
		m = max(m, s.totalWidth(4, s.indent))
	}
	return m
}

// verticalize turns every section with one row under headers into key/value rows.
func (t *table) verticalize() {
	for i, s := range t.sections {
		if len(s.rows) != 1 || len(s.headers) == 0 {
			continue
		}
		n := newSection(s.title, s.indent)
		for j, h := range s.headers {
			if j < len(s.rows[0]) {
				n.addRow([]any{h, s.rows[0][j]})
			}
		}
		t.sections[i] = n
	}
}

const (
	resetAll      = "\x1b[0m"
	styleRow      = "\x1b[1m\x1b[34m" // colorama Style.BRIGHT + Fore.BLUE
	styleIndent   = "\x1b[2m\x1b[33m" // colorama Style.DIM + Fore.YELLOW
	plainIndentCh = "|"
)

func (t *table) indentChar() string {
	if t.color {
		return styleIndent + plainIndentCh + resetAll
	}
	return plainIndentCh
}

// writeIndented is awscli's IndentedStream.write.
func (t *table) writeIndented(w io.Writer, indent int, text string) {
	edge := strings.Repeat(t.indentChar(), indent)
	io.WriteString(w, edge)
	if strings.HasSuffix(text, "\n") {
		io.WriteString(w, text[:len(text)-1])
		io.WriteString(w, edge)
		io.WriteString(w, "\n")
		return
	}
	io.WriteString(w, text)
}

func (t *table) renderSection(w io.Writer, s *tableSection, maxWidth int) {
	maxWidth -= s.indent * 2
	if s.title != "" {
		t.writeIndented(w, s.indent, centerText(s.title, maxWidth, "|", "|", textWidth(s.title))+"\n")
		if len(s.headers) == 0 && len(s.rows) == 0 {
			t.writeIndented(w, s.indent, "+"+strings.Repeat("-", max(maxWidth-2, 0))+"+\n")
		}
	}
	if len(s.headers) > 0 {
		widths := s.columnWidths(4, maxWidth)
		var line strings.Builder
		for i := 0; i < len(widths) && i < len(s.headers); i++ {
			left := ""
			if i == 0 {
				left = "|"
			}
			line.WriteString(centerText(s.headers[i], widths[i], left, "|", textWidth(s.headers[i])))
		}
		t.writeIndented(w, s.indent, lineBreak(widths))
		t.writeIndented(w, s.indent, line.String()+"\n")
	}
	if len(s.rows) == 0 {
		return
	}
	widths := s.columnWidths(4, maxWidth)
	if len(widths) == 0 {
		return
	}
	t.writeIndented(w, s.indent, lineBreak(widths))
	for _, row := range s.rows {
		var line strings.Builder
		for i := 0; i < len(widths) && i < len(row); i++ {
			left := ""
			if i == 0 {
				left = "|"
			}
			cell := row[i]
			if t.color {
				cell = styleRow + cell + resetAll
			}
			line.WriteString(alignLeft(cell, widths[i], left, "|", textWidth(row[i])))
		}
		t.writeIndented(w, s.indent, line.String()+"\n")
	}
	t.writeIndented(w, s.indent, lineBreak(widths))
}

func lineBreak(widths []int) string {
	var b strings.Builder
	for i, w := range widths {
		if i == 0 {
			b.WriteString("+" + strings.Repeat("-", max(w-2, 0)) + "+")
		} else {
			b.WriteString(strings.Repeat("-", max(w-1, 0)) + "+")
		}
	}
	b.WriteString("\n")
	return b.String()
}

func centerText(text string, length int, left, right string, textLen int) string {
	start := floorDiv(length, 2) - floorDiv(textLen, 2) - 1
	soFar := textWidth(left) + start + textLen
	rightSpaces := length - textWidth(right) - soFar
	return left + spaces(start) + text + spaces(rightSpaces) + right
}

func alignLeft(text string, length int, left, right string, textLen int) string {
	padding := 0
	if length-(textLen+2+textWidth(left)+textWidth(right)) >= 0 {
		padding = 2
	}
	soFar := len([]rune(left)) + padding + textLen
	return left + spaces(padding) + text + spaces(length-soFar-len([]rune(right))) + right
}

func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(" ", n)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// textWidth is awscli's get_text_length: characters of East Asian Width W, F or A count two.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x80 && isWide(r) {
			n++
		}
	}
	return n
}

func isWide(r rune) bool {
	i, found := slices.BinarySearchFunc(wideRanges[:], r, func(rg [2]rune, r rune) int {
		switch {
		case rg[1] < r:
			return -1
		case rg[0] > r:
			return 1
		}
		return 0
	})
	_ = i
	return found
}
