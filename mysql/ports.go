package mysql

import "github.com/balis/illhub/ill"

// Store implements the storage ports the use cases, the intakes and the
// console are written against (ill/ports.go); the calendar cache serves
// the calendar.
var (
	_ ill.Requests       = (*Store)(nil)
	_ ill.Directory      = (*Store)(nil)
	_ ill.Catalogue      = (*Store)(nil)
	_ ill.Courier        = (*Store)(nil)
	_ ill.Accounts       = (*Store)(nil)
	_ ill.Sessions       = (*Store)(nil)
	_ ill.Worklists      = (*Store)(nil)
	_ ill.ISOLog         = (*Store)(nil)
	_ ill.Figures        = (*Store)(nil)
	_ ill.ReportSettings = (*Store)(nil)
	_ ill.LenderTurns    = (*Store)(nil)
	_ ill.Administration = (*Store)(nil)
	_ ill.Announcements  = (*Store)(nil)
	_ ill.Desk           = (*Store)(nil) // desk.go
	_ ill.NoticeLog      = (*Store)(nil) // notices_read.go
	_ ill.Notes          = (*Store)(nil) // notes.go
	_ ill.Mediations     = (*Store)(nil) // mediation.go
	_ ill.NCIPDirectory  = (*Store)(nil) // ncip.go
	_ ill.RequestSources = (*Store)(nil) // openurl.go
	_ ill.CalendarSource = (*CalendarCache)(nil)
)

// The money ports: violations' settlement and the lenders' fee rules.
var (
	_ ill.ViolationLedger = (*Store)(nil)
	_ ill.LibraryFees     = (*Store)(nil)
)

// The delivery ports: delivered files and copy fees (copies.go).
var (
	_ ill.CopyFiles = (*Store)(nil)
	_ ill.CopyFees  = (*Store)(nil)
)
