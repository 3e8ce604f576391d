package awscli

import (
	"cmp"
	"slices"
)

// closeMatches is Python's difflib.get_close_matches(word, choices, 3, 0.8), which argparse in
// AWS CLI v2 uses to suggest a choice after an invalid one.
func closeMatches(word string, choices []string) []string {
	type scored struct {
		score float64
		s     string
	}
	var found []scored
	for _, c := range choices {
		if r := ratio([]rune(c), []rune(word)); r >= 0.8 {
			found = append(found, scored{r, c})
		}
	}
	// heapq.nlargest on (score, string) tuples: highest score first, ties by string, descending.
	slices.SortFunc(found, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(b.s, a.s)
	})
	var out []string
	for i := 0; i < len(found) && i < 3; i++ {
		out = append(out, found[i].s)
	}
	return out
}

// ratio is SequenceMatcher(None, a, b).ratio(): twice the matched characters over the total.
func ratio(a, b []rune) float64 {
	if len(a)+len(b) == 0 {
		return 1
	}
	return 2 * float64(matched(a, b)) / float64(len(a)+len(b))
}

// matched counts the characters of Ratcliff/Obershelp matching: the longest common block
// (earliest in a, then in b), then recursively the parts on either side of it.
func matched(a, b []rune) int {
	bi, bj, bk := 0, 0, 0
	for i := range a {
		for j := range b {
			k := 0
			for i+k < len(a) && j+k < len(b) && a[i+k] == b[j+k] {
				k++
			}
			if k > bk {
				bi, bj, bk = i, j, k
			}
		}
	}
	if bk == 0 {
		return 0
	}
	return bk + matched(a[:bi], b[:bj]) + matched(a[bi+bk:], b[bj+bk:])
}
