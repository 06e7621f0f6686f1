package graph

import "github.com/vektah/gqlparser/v2/validator/rules"

// validationRules are gqlparser's default rules, except that a value of the
// wrong type is not followed by "did you mean" enum suggestions: the
// suggestion compares the whole value with every enum value (edit distance,
// quadratic), and a 1 MB string where an enum belongs cost seconds of CPU
// before any limit could see it. Field, argument and type suggestions stay
// in development; their names are bounded by the shape limits.
func validationRules() *rules.Rules {
	r := rules.NewDefaultRules()
	r.RemoveRule(rules.ValuesOfCorrectTypeRule.Name)
	r.AddRule(rules.ValuesOfCorrectTypeRuleWithoutSuggestions.Name, rules.ValuesOfCorrectTypeRuleWithoutSuggestions.RuleFunc)
	return r
}
