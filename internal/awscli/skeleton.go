package awscli

import (
	"io"
	"strings"
	"time"

	"github.com/connectfed/connectfed/internal/awscli/pyvalue"
)

var epoch = pyvalue.NaiveTime{Time: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)}

// WriteInputSkeleton prints what --generate-cli-skeleton input or yaml-input prints: the input
// shape with empty values, as JSON, or as YAML with each member's documentation as a comment.
func (c *Command) WriteInputSkeleton(w io.Writer, kind string) error {
	var b []byte
	if kind == "yaml-input" {
		b = appendYAMLSkeleton(b, c.Op.Input, 0)
	} else {
		b = pyvalue.AppendJSON(b, skeletonValue(c.Op.Input, "", false), 0, &pyvalue.KeyOrder{Subset: c.Op.Input.memberNames(nil)})
		b = append(b, '\n')
	}
	_, err := w.Write(b)
	return err
}

// OutputSkeleton is the response --generate-cli-skeleton output prints through the output
// formatter: every member present, strings holding their member's name, timestamps at the
// epoch.
func (c *Command) OutputSkeleton() any {
	return skeletonValue(c.Op.Output, "", true)
}

// skeletonValue is botocore's ArgumentGenerator: strings empty, or named after their member
// for an output skeleton.
func skeletonValue(s *Shape, name string, useNames bool) any {
	switch s.Kind {
	case KindStructure:
		m := make(map[string]any, len(s.Members))
		for _, mem := range s.Members {
			m[mem.Name] = skeletonValue(mem.Shape, mem.Name, useNames)
		}
		return m
	case KindTimestamp:
		return epoch
	}
	if useNames {
		return name
	}
	return ""
}

// appendYAMLSkeleton writes the yaml-input skeleton as ruamel's round-trip dumper does for
// the scalar members an input has; a nested structure is written as a block of its own.
func appendYAMLSkeleton(b []byte, s *Shape, indent int) []byte {
	pad := strings.Repeat(" ", indent)
	for _, m := range s.Members {
		comment := m.Overview
		if s.required(m.Name) {
			comment = "[REQUIRED] " + comment
		}
		b = append(b, pad+m.Name+":"...)
		switch m.Shape.Kind {
		case KindStructure:
			b = append(b, "  # "+comment+"\n"...)
			b = appendYAMLSkeleton(b, m.Shape, indent+2)
		case KindTimestamp:
			b = append(b, " 1970-01-01 00:00:00  # "+comment+"\n"...)
		default:
			b = append(b, " ''  # "+comment+"\n"...)
		}
	}
	return b
}
