package awsapi

import (
	"strconv"

	"github.com/connectfed/connectfed/internal/identity"
)

// simulatePrincipalPolicy and simulateCustomPolicy answer with the evaluator enforcement uses.

func (a *API) simulatePrincipalPolicy(r *Request) (any, error) {
	return a.simulate(r, r.Form.get("PolicySourceArn"))
}

func (a *API) simulateCustomPolicy(r *Request) (any, error) {
	return a.simulate(r, "")
}

func (a *API) simulate(r *Request, source string) (any, error) {
	in := identity.SimulationInput{PolicySourceARN: source,
		PolicyInputs: r.Form.list("PolicyInputList", ""), Actions: r.Form.list("ActionNames", ""),
		Resources: r.Form.list("ResourceArns", ""), CallerARN: r.Form.get("CallerArn"), Context: contextEntries(r.Form)}
	if _, given := r.Form.Values["PermissionsBoundaryPolicyInputList.member.1"]; given {
		in.BoundaryInputs = r.Form.list("PermissionsBoundaryPolicyInputList", "")
	}
	results, err := a.identity.Simulate(r.Context(), r.Principal, in)
	if err != nil {
		return nil, err
	}
	res := simulationResult{}
	for _, sr := range results {
		x := xmlEvaluation{EvalActionName: sr.Action, EvalResourceName: sr.Resource, EvalDecision: sr.Decision.String()}
		for _, m := range sr.Matched {
			x.MatchedStatements = append(x.MatchedStatements, xmlMatchedStatement{SourcePolicyID: m.Policy, SourcePolicyType: m.Source})
		}
		if sr.Boundary {
			x.PermissionsBoundaryDecisionDetail = &xmlBoundaryDecision{AllowedByPermissionsBoundary: sr.AllowedByBoundary}
		}
		res.EvaluationResults = append(res.EvaluationResults, x)
	}
	return res, nil
}

// contextEntries reads ContextEntries.member.N.{ContextKeyName, ContextKeyValues.member.M}.
func contextEntries(f Form) map[string][]string {
	out := map[string][]string{}
	for i := 1; ; i++ {
		prefix := "ContextEntries.member." + strconv.Itoa(i) + "."
		name := f.get(prefix + "ContextKeyName")
		if name == "" {
			return out
		}
		out[name] = f.list(prefix+"ContextKeyValues", "")
	}
}

type xmlMatchedStatement struct {
	SourcePolicyID   string `xml:"SourcePolicyId"`
	SourcePolicyType string `xml:"SourcePolicyType"`
}

type xmlBoundaryDecision struct {
	AllowedByPermissionsBoundary bool `xml:"AllowedByPermissionsBoundary"`
}

type xmlEvaluation struct {
	EvalActionName                    string                `xml:"EvalActionName"`
	EvalResourceName                  string                `xml:"EvalResourceName"`
	EvalDecision                      string                `xml:"EvalDecision"`
	MatchedStatements                 []xmlMatchedStatement `xml:"MatchedStatements>member"`
	MissingContextValues              []string              `xml:"MissingContextValues>member"`
	PermissionsBoundaryDecisionDetail *xmlBoundaryDecision  `xml:"PermissionsBoundaryDecisionDetail,omitempty"`
}

type simulationResult struct {
	EvaluationResults []xmlEvaluation `xml:"EvaluationResults>member"`
	IsTruncated       bool            `xml:"IsTruncated"`
}
