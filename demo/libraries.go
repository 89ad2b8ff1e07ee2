// Package demo generates and loads illhub's demo dataset (SPEC §7): real
// BALIS member libraries, a synthetic but realistic union catalogue of
// Chinese books with holdings spread across the members, demo readers, the
// well-known development API keys (ill.DemoKey) and the national calendar.
//
// Everything is deterministic: the same call returns the same data on every
// machine, so documentation, tests and demos can refer to concrete records,
// readers and keys. Only this package creates demo keys; production
// databases are never seeded with it.
package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Library is a BALIS member library of the demo dataset and its lending
// policy. Field meanings follow table libraries in schema.sql; the ISO 18626
// symbol of a demo library is its code (see ISOSymbol).
type Library struct {
	Code            string // BALIS member code, upper case, also the ISO 18626 agencyIdValue
	NameZH          string // official Chinese name
	NameEN          string // official English name
	DepositRequired bool   // R7: readers must have paid a deposit (BFSU only in the demo)
	Lending         bool   // takes part as a lender
	LoanMonths      int    // R4 loan period in calendar months
	RecallDays      int    // R6 recall period in calendar days
	FinePerDayFen   int    // R11 overdue fine per day, fen (0.01 CNY)
	DamageFeeFen    int    // R11 damage fee, fen
	LossFeeFen      int    // R11 loss fee, fen
	CourierCutoff   string // "HH:MM" Asia/Shanghai: shipments after it go on the next courier run

	// Size is the relative size of the collection (1–10). The catalogue
	// generator gives bigger libraries proportionally more holdings.
	Size int
	// Strengths are the catalogue disciplines the library collects most
	// (see the discipline names in books.go); it holds about three times as
	// many books of those as of others.
	Strengths []string
}

// ISOSymbol is the library's ISO 18626 agency id value: its code.
func (l Library) ISOSymbol() string { return l.Code }

// Email is the library ILL office's demo address, in the reserved .example
// top-level domain so that demo notices can never reach a real mailbox.
func (l Library) Email() string { return fmt.Sprintf("ill@%s.balis.example", strings.ToLower(l.Code)) }

// CentreLibrary is the code of the library that hosts the BALIS management
// centre (the centre's own API key uses ill.CentreCode, not this code).
const CentreLibrary = "BUPT"

// DepositLibrary is the one demo library that requires a reader deposit (R7).
const DepositLibrary = "BFSU"

// lib builds a Library with the consortium's default policy.
func lib(code, zh, en string, size int, strengths ...string) Library {
	return Library{
		Code: code, NameZH: zh, NameEN: en,
		Lending: true, LoanMonths: 1, RecallDays: 7,
		FinePerDayFen: 10, DamageFeeFen: 2000, LossFeeFen: 10000,
		CourierCutoff: "14:00",
		Size:          size, Strengths: strengths,
	}
}

// Libraries returns the demo member libraries, 40 real BALIS members in
// Beijing, ordered as listed (BUPT, the centre's host, first). Codes are
// unique, upper case and at most 16 characters. Only BFSU requires a reader
// deposit. Every call returns a fresh slice.
func Libraries() []Library {
	ls := []Library{
		lib("BUPT", "北京邮电大学", "Beijing University of Posts and Telecommunications", 5, discCS, discEE),
		lib("THU", "清华大学", "Tsinghua University", 10, discCS, discEE, discEng, discMath, discSci),
		lib("PKU", "北京大学", "Peking University", 10, discHist, discLit, discPhil, discMath, discSci, discEcon),
		lib("RUC", "中国人民大学", "Renmin University of China", 7, discEcon, discLaw, discPhil, discHist),
		lib("BNU", "北京师范大学", "Beijing Normal University", 7, discEdu, discLit, discHist, discMath),
		lib("BUAA", "北京航空航天大学", "Beihang University", 6, discEng, discCS, discEE),
		lib("BIT", "北京理工大学", "Beijing Institute of Technology", 6, discEng, discCS, discEE),
		lib("BFSU", "北京外国语大学", "Beijing Foreign Studies University", 4, discLang, discLit),
		lib("USTB", "北京科技大学", "University of Science and Technology Beijing", 5, discEng, discSci),
		lib("BJTU", "北京交通大学", "Beijing Jiaotong University", 5, discEng, discEE, discEcon),
		lib("CAU", "中国农业大学", "China Agricultural University", 5, discAgri, discSci),
		lib("BJFU", "北京林业大学", "Beijing Forestry University", 4, discAgri),
		lib("CUPL", "中国政法大学", "China University of Political Science and Law", 4, discLaw),
		lib("CUEB", "首都经济贸易大学", "Capital University of Economics and Business", 3, discEcon),
		lib("UIBE", "对外经济贸易大学", "University of International Business and Economics", 4, discEcon, discLaw, discLang),
		lib("CUC", "中国传媒大学", "Communication University of China", 4, discMedia, discArt),
		lib("BLCU", "北京语言大学", "Beijing Language and Culture University", 3, discLang, discLit),
		lib("MUC", "中央民族大学", "Minzu University of China", 4, discHist, discPhil, discLit),
		lib("CNU", "首都师范大学", "Capital Normal University", 4, discEdu, discHist, discLit),
		lib("BJUT", "北京工业大学", "Beijing University of Technology", 4, discEng, discCS),
		lib("BUCT", "北京化工大学", "Beijing University of Chemical Technology", 3, discSci, discEng),
		lib("NCEPU", "华北电力大学", "North China Electric Power University", 3, discEE, discEng),
		lib("CCOM", "中央音乐学院", "Central Conservatory of Music", 2, discArt),
		lib("BISU", "北京第二外国语学院", "Beijing International Studies University", 2, discLang, discEcon),
		lib("CUFE", "中央财经大学", "Central University of Finance and Economics", 4, discEcon, discLaw),
		lib("BTBU", "北京工商大学", "Beijing Technology and Business University", 3, discEcon, discEng),
		lib("BUCM", "北京中医药大学", "Beijing University of Chinese Medicine", 3, discMed),
		lib("CCMU", "首都医科大学", "Capital Medical University", 3, discMed),
		lib("BSU", "北京体育大学", "Beijing Sport University", 2, discEdu, discMed),
		lib("CUGB", "中国地质大学（北京）", "China University of Geosciences (Beijing)", 3, discSci, discEng),
		lib("CUMTB", "中国矿业大学（北京）", "China University of Mining and Technology-Beijing", 3, discEng),
		lib("CUPB", "中国石油大学（北京）", "China University of Petroleum-Beijing", 3, discEng, discSci),
		lib("CAFA", "中央美术学院", "Central Academy of Fine Arts", 2, discArt),
		lib("BFA", "北京电影学院", "Beijing Film Academy", 2, discArt, discMedia),
		lib("BUCEA", "北京建筑大学", "Beijing University of Civil Engineering and Architecture", 2, discEng),
		lib("BISTU", "北京信息科技大学", "Beijing Information Science and Technology University", 2, discCS, discEE),
		lib("NCUT", "北方工业大学", "North China University of Technology", 2, discEng, discCS),
		lib("BUU", "北京联合大学", "Beijing Union University", 2),
		lib("CFAU", "外交学院", "China Foreign Affairs University", 2, discLaw, discLang),
		lib("BUA", "北京农学院", "Beijing University of Agriculture", 2, discAgri),
	}
	// Policy variety, so that reports show lender-specific fines (R11).
	for i := range ls {
		l := &ls[i]
		switch l.Code {
		case "THU", "PKU", "RUC":
			l.FinePerDayFen, l.DamageFeeFen, l.LossFeeFen = 20, 3000, 20000
		case "BUAA", "BIT", "BNU", "CUFE", "UIBE":
			l.FinePerDayFen, l.LossFeeFen = 20, 15000
		case "CCOM", "CAFA", "BFA":
			l.FinePerDayFen, l.DamageFeeFen, l.LossFeeFen = 50, 5000, 30000
		}
		// Every member: courier Monday–Friday (the courier_days column's
		// default) with the 14:00 cut-off.
	}
	for i := range ls {
		if ls[i].Code == DepositLibrary {
			ls[i].DepositRequired = true
		}
	}
	return ls
}

// PatronsPerLibrary is the number of demo readers of each library.
const PatronsPerLibrary = 5

// Patron is a demo reader registered at a member library (table patrons).
type Patron struct {
	Library     string // the reader's own (borrowing) library
	ID          string // reader id, unique within the library: CODE + "2024" + 3 digits, e.g. "THU2024001"
	Name        string
	Email       string // in the reserved .example domain
	DepositPaid bool
}

// Patrons returns PatronsPerLibrary demo readers per library, in library
// order, the same on every call. At BFSU, the library that requires a
// deposit, readers 001–003 have paid it and 004–005 have not (R7 can be
// shown both ways); readers of the other libraries have paid none.
func Patrons() []Patron {
	g := &generator{rng: rand.New(rand.NewPCG(Seed+1, Seed))}
	for i := range surnames {
		g.surnameWeight = append(g.surnameWeight, max(2, 40-i))
	}
	var ps []Patron
	for _, l := range Libraries() {
		for n := 1; n <= PatronsPerLibrary; n++ {
			id := fmt.Sprintf("%s2024%03d", l.Code, n)
			name, _ := g.person()
			ps = append(ps, Patron{Library: l.Code, ID: id, Name: name,
				Email:       strings.ToLower(id) + "@reader." + strings.ToLower(l.Code) + ".example",
				DepositPaid: l.DepositRequired && n <= 3})
		}
	}
	return ps
}
