package ill

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Eligibility is R2 as data: which material the consortium lends. The
// default is Chinese general books; the centre may change it in
// configs/policy.json (ILL_POLICY_FILE) without a code change.
type Eligibility struct {
	Languages []string `json:"languages"` // MARC language codes, e.g. "chi"
	Materials []string `json:"materials"` // e.g. "book"
}

// DefaultEligibility is BALIS's rule: 中文普通图书.
var DefaultEligibility = Eligibility{Languages: []string{"chi"}, Materials: []string{"book"}}

// ParseEligibility reads a policy file.
func ParseEligibility(b []byte) (Eligibility, error) {
	var e Eligibility
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("policy file: %w", err)
	}
	if len(e.Languages) == 0 || len(e.Materials) == 0 {
		return e, fmt.Errorf("policy file: languages and materials must both be listed")
	}
	return e, nil
}

// Eligible reports whether material in language may be lent. Empty values
// (a manual citation that does not say) are given the benefit of the doubt.
func (e Eligibility) Eligible(language, material string) bool {
	return (language == "" || containsFold(e.Languages, language)) &&
		(material == "" || containsFold(e.Materials, material))
}

func containsFold(list []string, v string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, v) })
}

// MaxActiveRequests is R3's limit per reader.
const MaxActiveRequests = 3
