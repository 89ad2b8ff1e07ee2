package notices

import (
	"context"
	"strings"

	"github.com/balis/illhub/ill"
)

// partyNames are a request's borrower and lender as a notice names them:
// the library's name in the notice's locale (the Chinese name when it has
// no English one), so that a reader or librarian reads 清华大学图书馆, not
// THU. A code that is no member (or no lender yet) stays as it is.
// cache holds the libraries already read (nil: none).
func partyNames(ctx context.Context, st Store, r *ill.Request, locale string, cache map[string]*ill.Library) (borrower, lender string, err error) {
	name := func(code string) (string, error) {
		if code == "" {
			return "", nil
		}
		l, ok := cache[code]
		if !ok {
			var err error
			if l, err = st.Library(ctx, code); err != nil {
				if ill.ErrorCode(err) != ill.CodeNotFound {
					return "", err
				}
				l = nil
			}
			if cache != nil {
				cache[code] = l
			}
		}
		switch {
		case l == nil:
			return code, nil
		case locale == "en" && strings.TrimSpace(l.NameEN) != "":
			return strings.TrimSpace(l.NameEN), nil
		case l.NameZH != "":
			return l.NameZH, nil
		}
		return code, nil
	}
	if borrower, err = name(r.Borrower); err != nil {
		return "", "", err
	}
	lender, err = name(r.Lender)
	return borrower, lender, err
}
