package awscli

// Kind is a model shape's type, as far as the CLI's behaviour depends on it.
type Kind int

const (
	KindString Kind = iota
	KindTimestamp
	KindStructure
)

// Shape is the part of a service model shape (botocore's data/<service>/service-2.json) that
// parameter validation, skeletons and response decoding need.
type Shape struct {
	Kind     Kind
	Members  []Member // Structure: in model order, which is the order AWS CLI v2 prints
	Required []string // Structure: required member names, in model order
	Min      int      // String: the model's min length; botocore checks min, never max
}

// Member is a structure member.
type Member struct {
	Name  string
	Shape *Shape
	// Overview is the first sentence of the member's documentation, which the yaml-input
	// skeleton prints as a comment.
	Overview string
}

// Operation is a service operation as the CLI presents it.
type Operation struct {
	Name   string // the API name, used in error lines and as the table title
	Input  *Shape
	Output *Shape
}

func (s *Shape) member(name string) *Member {
	for i := range s.Members {
		if s.Members[i].Name == name {
			return &s.Members[i]
		}
	}
	return nil
}

func (s *Shape) required(name string) bool {
	for _, r := range s.Required {
		if r == name {
			return true
		}
	}
	return false
}

// memberNames lists the members of every structure in the shape tree, one list per
// structure: the orders a decoded response's objects are printed in.
func (s *Shape) memberNames(into [][]string) [][]string {
	if s == nil || s.Kind != KindStructure {
		return into
	}
	names := make([]string, len(s.Members))
	for i, m := range s.Members {
		names[i] = m.Name
	}
	into = append(into, names)
	for _, m := range s.Members {
		into = m.Shape.memberNames(into)
	}
	return into
}
