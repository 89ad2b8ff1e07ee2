package demo

import (
	"context"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

// Well-known development credentials of the web portal and console that
// only `illctl seed demo` creates. Never use them in production.
const (
	// DemoReaderPIN is every demo reader's PIN (cards CODE2024001–005).
	DemoReaderPIN = "123456"
	// DemoStaffUser / DemoStaffPassword: one staff account per library.
	DemoStaffUser     = "staff"
	DemoStaffPassword = "staff123"
	// DemoAdminUser / DemoAdminPassword: the centre admin (library CENTRE).
	DemoAdminUser     = "admin"
	DemoAdminPassword = "admin123"
)

// LoadWebAccounts gives every demo reader the PIN DemoReaderPIN, every
// demo library a staff account and the centre an admin account. It is
// idempotent (upserts) and runs after Load.
func LoadWebAccounts(ctx context.Context, st *mysql.Store, now time.Time) (readers, staff int, err error) {
	pin, err := app.HashPIN(DemoReaderPIN)
	if err != nil {
		return 0, 0, err
	}
	for _, p := range Patrons() {
		if err := st.PutReader(ctx, ill.Reader{Library: p.Library, ID: p.ID, Name: p.Name, Email: p.Email,
			DepositPaid: p.DepositPaid, PINHash: pin}, now); err != nil {
			return readers, staff, err
		}
		readers++
	}
	pw, err := app.HashPIN(DemoStaffPassword)
	if err != nil {
		return readers, staff, err
	}
	for _, l := range Libraries() {
		if err := st.PutStaff(ctx, ill.Staff{Library: l.Code, Username: DemoStaffUser, Name: l.NameZH + "馆际互借员",
			Role: ill.StaffMember, PasswordHash: pw}); err != nil {
			return readers, staff, err
		}
		staff++
	}
	apw, err := app.HashPIN(DemoAdminPassword)
	if err != nil {
		return readers, staff, err
	}
	if err := st.PutStaff(ctx, ill.Staff{Library: ill.CentreCode, Username: DemoAdminUser, Name: "BALIS 管理中心",
		Role: ill.StaffCentreAdmin, PasswordHash: apw}); err != nil {
		return readers, staff, err
	}
	return readers, staff + 1, nil
}
