package mysql

// The centre's administration of members (libraries): creating a member
// and changing only the settings given (ill.LibraryPatch), so that saving
// a member's names or contacts never resets its fee rules, cut-off,
// courier days or ISO 18626 registration. The reads are libraries.go's.

import (
	"context"

	"github.com/balis/illhub/ill"
)

// createLibrarySQL inserts a new member from libraryRow's fields (named
// parameters); a code that exists fails (duplicate key). Locks: the new
// row, for the statement only (autocommit).
const createLibrarySQL = `INSERT INTO libraries (code, name_zh, name_en, iso_symbol, lending,
	deposit_required, loan_months, recall_days, fine_per_day_fen, damage_fee_fen, loss_fee_fen, locale, email,
	contact_phone, contact_email, contact_address, webhook_url, webhook_secret, iso_endpoint, courier_cutoff)
	VALUES (:code, :name_zh, :name_en, :iso_symbol, :lending, :deposit_required, :loan_months, :recall_days,
	:fine_per_day_fen, :damage_fee_fen, :loss_fee_fen, :locale, :email, :contact_phone, :contact_email,
	:contact_address, :webhook_url, :webhook_secret, :iso_endpoint, :courier_cutoff)`

// CreateLibrary inserts new member l as given (the caller applied
// ill.Library.WithDefaults); conflict when the code exists.
func (s *Store) CreateLibrary(ctx context.Context, l ill.Library) error {
	defer s.dir.Forget()
	_, err := s.DB.NamedExecContext(ctx, createLibrarySQL, fromLibrary(l))
	if isDuplicate(err) {
		return ill.Errorf(ill.CodeConflict, "library %s exists", l.Code)
	}
	return classify(err)
}

// updateLibrarySQL sets the settings given and keeps the others: each
// column is COALESCE(?, column), a NULL argument (a field the patch leaves
// unset) keeping the stored value. Fee rules, cut-off, courier days and
// the ISO 18626 columns are not in it. Locks: the library row (by primary
// key), for the statement only (autocommit).
const updateLibrarySQL = `UPDATE libraries SET name_zh = COALESCE(?, name_zh), name_en = COALESCE(?, name_en),
	lending = COALESCE(?, lending), deposit_required = COALESCE(?, deposit_required),
	loan_months = COALESCE(?, loan_months), recall_days = COALESCE(?, recall_days), locale = COALESCE(?, locale),
	email = COALESCE(?, email), contact_phone = COALESCE(?, contact_phone),
	contact_email = COALESCE(?, contact_email), contact_address = COALESCE(?, contact_address),
	webhook_url = COALESCE(?, webhook_url), webhook_secret = COALESCE(?, webhook_secret)
	WHERE code = ?`

// libraryExistsSQL tells an unchanged row from a missing one after an
// update that affected none. Locks: none.
const libraryExistsSQL = `SELECT COUNT(*) FROM libraries WHERE code = ?`

// UpdateLibrary changes only the fields p sets of member code, in one
// statement; not_found when there is no such member.
func (s *Store) UpdateLibrary(ctx context.Context, code string, p ill.LibraryPatch) error {
	defer s.dir.Forget()
	r, err := s.DB.ExecContext(ctx, updateLibrarySQL, p.NameZH, p.NameEN, p.Lending, p.DepositRequired,
		p.LoanMonths, p.RecallDays, p.Locale, p.Email, p.ContactPhone, p.ContactEmail, p.ContactAddress,
		p.WebhookURL, p.WebhookSecret, code)
	if err != nil {
		return classify(err)
	}
	if n, _ := r.RowsAffected(); n > 0 {
		return nil
	}
	var found int
	if err := s.DB.GetContext(ctx, &found, libraryExistsSQL, code); err != nil {
		return classify(err)
	}
	if found == 0 {
		return notFound("library", code)
	}
	return nil
}
