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
	_ ill.CalendarSource = (*CalendarCache)(nil)
)
