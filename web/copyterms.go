package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/balis/illhub/ill"
)

func init() {
	flashKeys["copyterms.saved"] = true
	flashKeys["copyterms.unchanged"] = true
}

// saveCopyTerms: POST /console/fees/copy-terms (library, copy_respond_days,
// copy_deliver_days, copy_limit): app.SetCopyTerms for the signed-in
// account (the library's admin or the centre, as for the fee rules). A
// refusal shows the fee page again with what was typed.
func (h *Handler) saveCopyTerms(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	typed := &feesData{CopyRespond: f("copy_respond_days"), CopyDeliver: f("copy_deliver_days"), CopyLimit: f("copy_limit"),
		CopyTyped: true}
	library := f("library")
	var ct ill.CopyTerms
	var err error
	for _, c := range []struct {
		field, in string
		dst       *int
	}{{ill.CopyRespondDaysField, typed.CopyRespond, &ct.RespondDays}, {ill.CopyDeliverDaysField, typed.CopyDeliver, &ct.DeliverDays},
		{ill.CopyLimitField, typed.CopyLimit, &ct.Limit}} {
		if *c.dst, err = strconv.Atoi(c.in); err != nil {
			err = ill.FieldError(c.field, "%s must be a whole number", c.field)
			break
		}
	}
	var changes []ill.PolicyChange
	if err == nil {
		changes, err = h.cfg.App.SetCopyTerms(r.Context(), staffActor(p.Sess), library, ct)
	}
	if err != nil {
		if ill.ErrorCode(err) != ill.CodeBadRequest {
			return err
		}
		p.Status, p.Error = ErrorText(p.Lang, err)
		return h.feesPage(w, r, p, library, typed)
	}
	msg := "copyterms.saved"
	if len(changes) == 0 {
		msg = "copyterms.unchanged"
	}
	to := "/console/fees?msg=" + msg
	if p.IsCentre() {
		to += "&library=" + url.QueryEscape(strings.ToUpper(library))
	}
	http.Redirect(w, r, to+"#copy-terms", http.StatusSeeOther)
	return nil
}
