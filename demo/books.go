package demo

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/balis/illhub/ill"
)

// DefaultBooks is the catalogue size `illctl seed demo` loads.
const DefaultBooks = 12000

// Seed is the fixed seed of the catalogue generator.
const Seed uint64 = 20260101

// Book is one union-catalogue record of the demo dataset with every member's
// holdings of it (table records, with its holdings rows in Holdings).
type Book struct {
	ISBN13    string // 13 digits, valid check digit; "" for journals and theses, which have none
	Title     string
	Author    string // "王珊, 萨师煊"; "张伟 主编"; "[美] 约翰·史密斯 著; 李明 译"; a journal's sponsors
	Publisher string
	Year      int    // 1995–2026
	Language  string // MARC code: "chi" (Chinese) or "eng"
	Material  string // "book", "journal" or "thesis"
	CLC       string // Chinese Library Classification number, e.g. "TP311.13"
	Holdings  []Holding
}

// Holding is one member library's holding of a Book (table holdings).
type Holding struct {
	Library    string // member code
	LocalID    string // the library's own record id, unique within the library
	CallNumber string // CLC + "/" + author number (e.g. "TP311.13/W245") or shelf sequence ("O13/1207")
	Copies     int    // 1–3
	Available  int    // 0..Copies, copies on the shelf
	Lendable   bool   // false for reference-only copies
}

// MatchKey is the record's normalised title/author/publisher/year key
// (records.match_key), by which records without an ISBN are matched.
func (b Book) MatchKey() string { return ill.TitleKey(b.Title, b.Author, b.Publisher, b.Year) }

// Eligible reports whether the book may be lent under the default R2 policy
// (Chinese general books).
func (b Book) Eligible() bool { return ill.DefaultEligibility.Eligible(b.Language, b.Material) }

// Catalogue returns n demo records (none when n <= 0), generated from Seed.
//
// Contract: the result is the same on every call and every machine, and
// prefix-stable (Catalogue(m) is the first m records of Catalogue(n) for
// m <= n), so a smaller dataset is a subset of a larger one. The first
// record is always 数据库系统概论 by 王珊, 萨师煊 (高等教育出版社, 2014,
// ISBN 9787040406641). ISBNs are unique and valid; every record is held by
// 1–6 member libraries (distinct, sorted by code), bigger libraries and those
// strong in the record's discipline holding more; (library, local id) pairs
// are unique. About 98% of the records are Chinese books; the rest (English
// books, journal volumes, theses) are not eligible under R2, so that
// not_eligible refusals can be demonstrated. Journals and theses have no
// ISBN and unique match keys.
func Catalogue(n int) []Book {
	if n <= 0 {
		return nil
	}
	g := newGenerator()
	out := make([]Book, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, g.book(i))
	}
	return out
}

// generator holds the state of one catalogue generation.
type generator struct {
	rng   *rand.Rand
	libs  []Library
	index map[string]int // library code → position in libs
	used  map[string]bool
	keys  map[string]bool // match keys of ISBN-less records

	nextLocal []int            // per library: last local record number issued
	shelfSeq  []map[string]int // per library: last shelf sequence number per class

	discWeights   []int
	libByDisc     map[string][]int // discipline → library weights
	surnameWeight []int
}

func newGenerator() *generator {
	g := &generator{
		rng:       rand.New(rand.NewPCG(Seed, Seed^0x9e3779b97f4a7c15)),
		libs:      Libraries(),
		index:     map[string]int{},
		used:      map[string]bool{},
		keys:      map[string]bool{},
		libByDisc: map[string][]int{},
	}
	for i, l := range g.libs {
		g.index[l.Code] = i
		g.nextLocal = append(g.nextLocal, 100000+1000*i)
		g.shelfSeq = append(g.shelfSeq, map[string]int{})
	}
	for _, d := range disciplines {
		g.discWeights = append(g.discWeights, d.weight)
		w := make([]int, len(g.libs))
		for i, l := range g.libs {
			w[i] = l.Size
			if slices.Contains(l.Strengths, d.name) {
				w[i] *= 3
			}
		}
		g.libByDisc[d.name] = w
	}
	for i := range surnames {
		g.surnameWeight = append(g.surnameWeight, max(2, 40-i))
	}
	return g
}

// pick returns an index chosen with probability proportional to weights.
func (g *generator) pick(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	r := g.rng.IntN(total)
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	return len(weights) - 1
}

func (g *generator) pickWeighted(ws []weighted) string {
	weights := make([]int, len(ws))
	for i, w := range ws {
		weights[i] = w.weight
	}
	return ws[g.pick(weights)].name
}

func oneOf[T any](g *generator, xs []T) T { return xs[g.rng.IntN(len(xs))] }

// year is a publication year in 1995–2026, more recent years more likely;
// 2026 is only partly published.
func (g *generator) year() int {
	if g.rng.IntN(1000) < 15 {
		return 2026
	}
	return 1995 + int(30.999*math.Pow(g.rng.Float64(), 0.65))
}

// since is the first year a subject or research theme can appear in a
// title, so that no 2003 book is about 6G or the 2020 Civil Code.
var since = map[string]int{
	"深度学习": 2016, "大数据技术": 2013, "云计算": 2010, "计算机视觉": 2000, "Web应用开发": 1998,
	"基于深度学习的": 2015, "基于知识图谱的": 2014, "面向大数据的": 2013, "基于区块链的": 2017,
	"边缘计算环境下的": 2017, "基于强化学习的": 2016, "5G": 2016, "6G": 2020, "大规模MIMO": 2012,
	"卫星互联网": 2018, "可见光通信": 2010, "二维材料": 2010, "智能制造": 2015, "新能源汽车": 2010,
	"页岩气": 2011, "新时代": 2018, "数字经济背景下": 2017, "“一带一路”倡议下的": 2014,
	"数字时代的": 2012, "民法典背景下的": 2020, "数字化转型中的": 2018, "京津冀": 2014,
	"新媒体": 2008, "融媒体": 2016, "短视频": 2018, "数字出版": 2006, "智能传播时代的": 2018,
	"电子商务": 1999, "网络传播": 1999, "高速铁路": 2008,
}

// notBefore returns year, or a year from since[term] on when year is earlier.
func (g *generator) notBefore(year int, term string) int {
	if first, ok := since[term]; ok && year < first {
		return first + g.rng.IntN(2026-first)
	}
	return year
}

// book generates record i.
func (g *generator) book(i int) Book {
	if i == 0 {
		return g.dbConcepts()
	}
	switch r := g.rng.Float64(); {
	case r < 0.012:
		return g.englishBook()
	case r < 0.017:
		return g.journalVolume()
	case r < 0.020:
		return g.thesis()
	}
	return g.chineseBook()
}

// dbConcepts is the well-known fixed first record: 数据库系统概论 (5th ed.).
func (g *generator) dbConcepts() Book {
	const isbn = "9787040406641"
	g.used[isbn] = true
	b := Book{ISBN13: isbn, Title: "数据库系统概论", Author: "王珊, 萨师煊", Publisher: "高等教育出版社", Year: 2014,
		Language: "chi", Material: "book", CLC: "TP311.13"}
	// Widely held; PKU's copies are all out, so routing has something to skip.
	for _, code := range []string{"BNU", "BUAA", "BUPT", "PKU", "RUC", "THU"} {
		h := g.holding(g.index[code], b.CLC, authorNumber("W", b.Author))
		h.Copies, h.Available, h.Lendable = 3, 2, true
		if code == "PKU" {
			h.Available = 0
		}
		b.Holdings = append(b.Holdings, h)
	}
	return b
}

func (g *generator) chineseBook() Book {
	d := disciplines[g.pick(g.discWeights)]
	b := Book{Language: "chi", Material: "book", Year: g.year()}
	var initial string
	switch r := g.rng.Float64(); {
	case r < 0.72: // textbook: {主题}{体裁}, sometimes an edition
		t := oneOf(g, d.topics)
		genre := oneOf(g, d.genres)
		b.Title, b.CLC = t.name+genre, t.clc
		if g.rng.IntN(8) == 0 {
			b.Title = oneOf(g, titlePrefixes(d)) + b.Title
		}
		if !strings.HasPrefix(genre, "（") && g.rng.IntN(6) == 0 {
			b.Title += fmt.Sprintf("（第%s版）", chineseNumerals[2+g.rng.IntN(7)])
		}
		b.Year = g.notBefore(b.Year, t.name)
	default: // research monograph
		a := oneOf(g, d.resA)
		b.Title, b.CLC = a+oneOf(g, d.resB), d.clc
		b.Year = g.notBefore(b.Year, a)
	}
	switch r := g.rng.Float64(); {
	case r < 0.55:
		b.Author, initial = g.person()
	case r < 0.80:
		a1, in := g.person()
		a2, _ := g.person()
		b.Author, initial = a1+", "+a2, in
	case r < 0.95:
		a, in := g.person()
		b.Author, initial = a+" 主编", in
	default:
		f := oneOf(g, foreignAuthors)
		tr, _ := g.person()
		b.Author, initial = f.name+" 著; "+tr+" 译", f.initial
	}
	b.Publisher = g.pickWeighted(d.pubs)
	b.ISBN13 = g.isbn(b.Publisher, b.Year)
	b.Holdings = g.holdings(d.name, b.CLC, authorNumber(initial, b.Author))
	return b
}

func (g *generator) englishBook() Book {
	t := oneOf(g, engTopics)
	b := Book{Language: "eng", Material: "book", Year: g.year(), CLC: t.clc,
		Title: fmt.Sprintf(oneOf(g, engPatterns), t.name)}
	last := oneOf(g, engLast)
	b.Author = oneOf(g, engFirst) + " " + last
	if g.rng.IntN(3) == 0 {
		b.Author += ", " + oneOf(g, engFirst) + " " + oneOf(g, engLast)
	}
	b.Publisher = g.pickWeighted(engPubs)
	b.ISBN13 = g.isbn(b.Publisher, b.Year)
	b.Holdings = g.holdings(discLang, b.CLC, authorNumber(last[:1], b.Author))
	return b
}

func (g *generator) journalVolume() Book {
	for {
		j := oneOf(g, journals)
		y := 2010 + g.rng.IntN(16)
		b := Book{Title: fmt.Sprintf("%s %d年合订本", j.title, y), Author: j.sponsor,
			Publisher: j.publisher, Year: y, Language: "chi", Material: "journal", CLC: j.clc}
		if g.keys[b.MatchKey()] {
			continue
		}
		g.keys[b.MatchKey()] = true
		b.Holdings = g.holdings(j.disc, b.CLC, "")
		return b
	}
}

// thesis is a doctoral thesis, held only by the awarding university (one
// strong in the thesis's discipline, when there is one).
func (g *generator) thesis() Book {
	for {
		d := disciplines[g.pick(g.discWeights)]
		var topics []string
		for _, r := range d.resB {
			if strings.HasSuffix(r, "研究") {
				topics = append(topics, r)
			}
		}
		if len(topics) == 0 {
			continue
		}
		weights := slices.Clone(g.libByDisc[d.name])
		strong := false
		for i, l := range g.libs {
			if slices.Contains(l.Strengths, d.name) {
				strong = true
			} else {
				weights[i] = 0
			}
		}
		if !strong {
			weights = g.libByDisc[d.name]
		}
		li := g.pick(weights)
		author, initial := g.person()
		a := oneOf(g, d.resA)
		b := Book{Title: a + oneOf(g, topics), Author: author, Publisher: g.libs[li].NameZH,
			Year: g.notBefore(2005+g.rng.IntN(21), a), Language: "chi", Material: "thesis", CLC: d.clc}
		if g.keys[b.MatchKey()] {
			continue
		}
		g.keys[b.MatchKey()] = true
		h := g.holding(li, b.CLC, authorNumber(initial, author))
		h.Copies, h.Available = 1, 1
		b.Holdings = []Holding{h}
		return b
	}
}

// titlePrefixes are the qualifiers a textbook title may start with
// (新编…, 简明…), fewer for the humanities.
func titlePrefixes(d discipline) []string {
	switch d.name {
	case discLaw, discPhil, discHist, discLit, discLang, discEdu, discMedia, discArt:
		return []string{"新编", "简明"}
	}
	return []string{"新编", "实用", "简明", "现代"}
}

var chineseNumerals = []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}

// person returns a Chinese name and the pinyin initial of its surname.
func (g *generator) person() (string, string) {
	s := surnames[g.pick(g.surnameWeight)]
	name := s.zh + string(oneOf(g, givenChars))
	if g.rng.IntN(3) > 0 {
		name += string(oneOf(g, givenChars))
	}
	return name, s.initial
}

// isbn returns a new unique ISBN-13 of publisher for a book of year. The
// title number grows with the year within the registrant block in use that
// year, as real numbering does.
func (g *generator) isbn(publisher string, year int) string {
	blocks := publishers[publisher]
	if len(blocks) == 0 {
		panic("demo: no ISBN prefix for publisher " + publisher)
	}
	blk := blocks[0]
	for _, b := range blocks {
		if (b.from == 0 || year >= b.from) && (b.to == 0 || year <= b.to) {
			blk = b
			break
		}
	}
	prefix := strings.ReplaceAll(blk.p, "-", "")
	digits := 12 - len(prefix)
	span := int(math.Pow10(digits))
	from, to := blk.from, blk.to
	if from == 0 {
		from = 1995
	}
	if to == 0 {
		to = 2026
	}
	for attempt := 0; ; attempt++ {
		var num int
		if attempt < 20 {
			pos := (float64(year-from) + g.rng.Float64()) / float64(to-from+1)
			num = min(span-1, max(0, int(pos*float64(span))))
		} else {
			num = g.rng.IntN(span)
		}
		d12 := prefix + fmt.Sprintf("%0*d", digits, num)
		isbn := d12 + string(ill.ISBN13Check(d12))
		if !g.used[isbn] {
			g.used[isbn] = true
			return isbn
		}
	}
}

// holdingCounts is the distribution of the number of holders (1–6).
var holdingCounts = []int{28, 26, 20, 13, 8, 5}

// holdings picks 1–6 distinct holders weighted by size and strength in
// disc, and makes their holdings sorted by library code.
func (g *generator) holdings(disc, clc, cutter string) []Holding {
	k := 1 + g.pick(holdingCounts)
	weights := slices.Clone(g.libByDisc[disc])
	var chosen []int
	for range k {
		i := g.pick(weights)
		weights[i] = 0
		chosen = append(chosen, i)
	}
	hs := make([]Holding, 0, k)
	for _, i := range chosen {
		h := g.holding(i, clc, cutter)
		h.Copies = 1 + g.pick([]int{60, 30, 10})
		h.Available = h.Copies
		if g.rng.IntN(100) >= 85 {
			h.Available = g.rng.IntN(h.Copies + 1)
		}
		h.Lendable = g.rng.IntN(100) < 95
		hs = append(hs, h)
	}
	slices.SortFunc(hs, func(a, b Holding) int { return strings.Compare(a.Library, b.Library) })
	return hs
}

// holding makes library li's holding with a new local id and a call number
// in the library's style: most use the author number cutter (著者号), every
// fourth library, and every library when cutter is "", a shelf sequence
// number per class (种次号). One copy, available, lendable; callers adjust.
func (g *generator) holding(li int, clc, cutter string) Holding {
	l := g.libs[li]
	g.nextLocal[li] += 1 + g.rng.IntN(20) // gaps: withdrawn records
	var call string
	if li%4 == 3 || cutter == "" {
		g.shelfSeq[li][clc]++
		call = fmt.Sprintf("%s/%d", clc, g.shelfSeq[li][clc])
	} else {
		call = clc + "/" + cutter
	}
	return Holding{Library: l.Code, LocalID: fmt.Sprintf("%09d", g.nextLocal[li]), CallNumber: call,
		Copies: 1, Available: 1, Lendable: true}
}

// authorNumber is an author number (著者号) for a call number: the pinyin
// initial of the first author's surname and a number derived from the
// author statement, so that every library gives an author the same number.
func authorNumber(initial, author string) string {
	h := fnv.New32a()
	h.Write([]byte(author))
	return fmt.Sprintf("%s%d", initial, 10+h.Sum32()%990)
}
