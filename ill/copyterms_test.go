package ill

import (
	"errors"
	"testing"
)

func TestCopyTermsValidateAndChanges(t *testing.T) {
	for _, c := range []struct {
		ct    CopyTerms
		field string // "" valid
	}{
		{CopyTerms{1, 3, 10}, ""},
		{CopyTerms{2, 2, 1}, ""},
		{CopyTerms{MaxCopyDays, MaxCopyDays, MaxCopyLimit}, ""},
		{CopyTerms{0, 3, 10}, "copy_respond_days"},
		{CopyTerms{MaxCopyDays + 1, MaxCopyDays, 10}, "copy_respond_days"},
		{CopyTerms{1, 0, 10}, "copy_deliver_days"},
		{CopyTerms{3, 2, 10}, "copy_deliver_days"},
		{CopyTerms{1, 3, 0}, "copy_limit"},
		{CopyTerms{1, 3, MaxCopyLimit + 1}, "copy_limit"},
	} {
		err := c.ct.Validate()
		if c.field == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.ct, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeBadRequest || e.Field != c.field {
			t.Errorf("%+v: %v, want a bad_request on %s", c.ct, err, c.field)
		}
	}
	ch := DefaultCopyTerms.Changes(CopyTerms{RespondDays: 1, DeliverDays: 5, Limit: 4})
	if len(ch) != 2 || ch[0] != (PolicyChange{Field: CopyDeliverDaysField, Old: "3", New: "5"}) ||
		ch[1] != (PolicyChange{Field: CopyLimitField, Old: "10", New: "4"}) {
		t.Fatalf("changes %+v", ch)
	}
	if ch := DefaultCopyTerms.Changes(DefaultCopyTerms); len(ch) != 0 {
		t.Fatalf("no change: %+v", ch)
	}
}
