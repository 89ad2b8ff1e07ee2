package mysql

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// hitRow is a search hit as hitColumns scans it.
type hitRow struct {
	recordRow
	Holdings  int `db:"holdings"`
	Available int `db:"available"`
}

func (h hitRow) domain() ill.SearchHit {
	return ill.SearchHit{Record: h.recordRow.domain(), Holdings: h.Holdings, Available: h.Available}
}

// termProbeCap bounds the probe of one bigram's posting count.
const termProbeCap = 5000

// The statements of a search (plain reads of record_search, record_terms
// and records; locks: none). Filters and word checks are built by
// SearchFull as conditions with ? arguments; %s marks where a built part
// goes.
const (
	// heldBySQL is the filter "a given library holds the record".
	heldBySQL = "EXISTS (SELECT 1 FROM holdings h WHERE h.record_id = s.record_id AND h.library_code = ?)"
	// isbnSearchSQL lists the held records with an ISBN, in rank order.
	isbnSearchSQL = `SELECT s.record_id FROM records r JOIN record_search s ON s.record_id = r.id
	WHERE %s ORDER BY s.rk, s.record_id`
	// exactTitleSQL lists the records whose folded title is the query.
	exactTitleSQL = `SELECT ` + hitColumns + ` FROM record_search s
	JOIN records r ON r.id = s.record_id
	WHERE %s ORDER BY s.rk, s.record_id LIMIT 100`
	// walkTermsSQL walks the driving bigram's postings in rank order;
	// walkRankSQL walks every held record in rank order (no bigram to
	// drive). Each is followed by the filters and walkTermsOrderSQL or
	// walkRankOrderSQL.
	walkTermsSQL = `SELECT STRAIGHT_JOIN t.record_id FROM record_terms t JOIN record_search s ON s.record_id = t.record_id
	WHERE t.term = ? AND t.rk < 0 AND `
	walkRankSQL = `SELECT s.record_id FROM record_search s FORCE INDEX (ix_record_search_rank)
	WHERE s.rk < 0 AND `
	walkRankOrderSQL  = " ORDER BY s.rk, s.record_id"
	walkTermsOrderSQL = " ORDER BY t.rk, t.record_id"
	// The bounded count reads the first postings of the driving bigram
	// only: walkTermsFromSQL becomes boundedTermsFromSQL (%s: the bound).
	walkTermsFromSQL    = "FROM record_terms t JOIN"
	boundedTermsFromSQL = "FROM (SELECT term, record_id, rk FROM record_terms WHERE term = ? AND rk < 0 ORDER BY rk, record_id LIMIT %s) t JOIN"
	// countCappedSQL counts a walk's first rows (%s: the walk, the cap).
	countCappedSQL = `SELECT COUNT(*) FROM (%s LIMIT %s) x`
	// A page of hits is the walk with the hit columns: each ...IDsSQL
	// part becomes its ...HitsSQL, then the order and pageSQL.
	walkTermsIDsSQL  = "t.record_id FROM record_terms t JOIN record_search s ON s.record_id = t.record_id"
	walkTermsHitsSQL = hitColumns + " FROM record_terms t JOIN record_search s ON s.record_id = t.record_id JOIN records r ON r.id = t.record_id"
	walkRankIDsSQL   = "SELECT s.record_id FROM record_search s FORCE INDEX (ix_record_search_rank)"
	walkRankHitsSQL  = "SELECT " + hitColumns + " FROM record_search s FORCE INDEX (ix_record_search_rank) JOIN records r ON r.id = s.record_id"
	pageSQL          = ` LIMIT ? OFFSET ?`
)

// SearchFull is the union catalogue search (SPEC 5.1, docs/catalog.md).
//
// Matching: every word of Q (folded like the index: width, traditional →
// simplified, case, punctuation) must occur contiguously in the folded
// title or author; ISBN matches the normalised ISBN-13 exactly. Records no
// member holds are not returned.
//
// Ranking: records whose whole folded title equals the folded query come
// first; then by number of holdings, descending; then record id.
//
// Plan: the postings of one bigram are stored in rank order
// (record_terms PRIMARY KEY (term, rk, record_id), rk = -holdings), so the
// query walks the rarest bigram of the query (probed with a bounded count)
// in rank order, checks the other words and the filters on record_search
// by primary key, and stops at the end of the page. A query of only
// one-character words walks record_search in rank order instead. The total
// reuses the probe's count when no check is needed, and otherwise checks at
// most ill.SearchScanCap postings.
func (s *Store) SearchFull(ctx context.Context, q ill.SearchQuery) (_ ill.SearchResults, err error) {
	defer func() { err = classify(err) }()
	var res ill.SearchResults
	if q.PerPage <= 0 {
		q.PerPage = 20
	}
	if q.Page <= 0 {
		q.Page = 1
	}
	words, probes, probeWord, truncated := ill.SearchTerms(q.Q)
	res.Words, res.Probes, res.QueryTruncated = len(words), len(probes), truncated

	// Filters on record_search s, shared by every plan.
	var filt []string
	var fargs []any
	if q.YearFrom > 0 {
		filt, fargs = append(filt, "s.year >= ?"), append(fargs, q.YearFrom)
	}
	if q.YearTo > 0 {
		filt, fargs = append(filt, "s.year <= ?"), append(fargs, q.YearTo)
	}
	if q.Available {
		filt = append(filt, "s.available > 0")
	}
	if q.Library != "" {
		filt = append(filt, heldBySQL)
		fargs = append(fargs, q.Library)
	}

	// The driving term: the rarest bigram among the words.
	// Each probe stops one past the rarest count so far: a frequent
	// bigram after a rare one costs little.
	var drive ill.Term
	driveWord, driveCount := -1, -1
	if q.ISBN == "" {
		for k, t := range probes {
			limit := termProbeCap
			if driveCount >= 0 {
				limit = min(limit, driveCount+1)
			}
			n, err := s.termCount(ctx, t, limit)
			if err != nil {
				return res, err
			}
			if driveCount < 0 || n < driveCount {
				driveCount, drive, driveWord = n, t, probeWord[k]
			}
		}
	} else {
		res.Probes = 0
	}
	// Word checks: a two-character word that is the driving term itself
	// needs none; every other word is checked on the folded text.
	for i, w := range words {
		if i == driveWord && utf8.RuneCountInString(w) == 2 {
			continue
		}
		filt = append(filt, "(s.title_fold LIKE ? OR s.author_fold LIKE ?)")
		fargs = append(fargs, "%"+w+"%", "%"+w+"%")
	}
	where := func(extra ...string) string {
		all := append(append([]string{}, extra...), filt...)
		if len(all) == 0 {
			return "1=1"
		}
		return strings.Join(all, " AND ")
	}

	if q.ISBN != "" {
		n, ok := ill.NormalizeISBN(q.ISBN)
		if !ok {
			return res, ill.FieldError("isbn", "not a valid ISBN-10 or ISBN-13")
		}
		var ids []int64
		err := s.DB.SelectContext(ctx, &ids, fmt.Sprintf(isbnSearchSQL, where("r.isbn13 = ?", "s.rk < 0")), append([]any{n}, fargs...)...)
		if err != nil {
			return res, err
		}
		res.Total = len(ids)
		lo := min((q.Page-1)*q.PerPage, len(ids))
		res.Hits, err = s.hits(ctx, ids[lo:min(lo+q.PerPage, len(ids))])
		return res, err
	}
	if len(words) == 0 {
		return res, ill.FieldError("q", "give q (title/author words) or isbn")
	}

	// Exact title matches first.
	var exactRows []hitRow
	if err := s.DB.SelectContext(ctx, &exactRows, fmt.Sprintf(exactTitleSQL, where("s.title_fold = ?", "s.rk < 0")),
		append([]any{strings.Join(words, "")}, fargs...)...); err != nil {
		return res, err
	}
	exactHits := domains(exactRows, hitRow.domain)
	exact := make([]int64, len(exactHits))
	for i, h := range exactHits {
		exact[i] = h.ID
	}

	// The ranked stream (without the exact matches).
	var from string
	var args []any
	notExact := ""
	if len(exact) > 0 {
		notExact = " AND s.record_id NOT IN (" + strings.TrimSuffix(strings.Repeat("?,", len(exact)), ",") + ")"
	}
	if driveWord >= 0 {
		from = walkTermsSQL + where() + notExact
		args = append([]any{uint64(drive)}, fargs...)
	} else {
		from = walkRankSQL + where() + notExact
		args = append([]any{}, fargs...)
	}
	for _, id := range exact {
		args = append(args, id)
	}
	order := walkRankOrderSQL
	if driveWord >= 0 {
		order = walkTermsOrderSQL
	}
	var n int
	switch {
	case driveWord >= 0 && len(filt) == 0:
		// The driving bigram's postings are exactly the matches (a single
		// two-character word, no filters), and the probe counted them; the
		// exact-title matches are among them.
		n = driveCount - len(exact)
		if driveCount >= termProbeCap {
			res.TotalCapped = true
		}
	case driveWord >= 0:
		// Check the first ill.SearchScanCap postings only.
		scan := strings.Replace(from, walkTermsFromSQL, fmt.Sprintf(boundedTermsFromSQL, itoa(ill.SearchScanCap)), 1)
		if err := s.DB.GetContext(ctx, &n, fmt.Sprintf(countCappedSQL, scan, itoa(ill.SearchTotalCap+1)),
			append([]any{uint64(drive)}, args...)...); err != nil {
			return res, err
		}
		if driveCount > ill.SearchScanCap {
			res.TotalCapped = true
		}
	default:
		if err := s.DB.GetContext(ctx, &n, fmt.Sprintf(countCappedSQL, from, itoa(ill.SearchTotalCap+1)), args...); err != nil {
			return res, err
		}
	}
	if n > ill.SearchTotalCap {
		n, res.TotalCapped = ill.SearchTotalCap, true
	}
	res.Total = len(exact) + n

	off := (q.Page - 1) * q.PerPage
	if off < len(exactHits) {
		res.Hits = append(res.Hits, exactHits[off:min(off+q.PerPage, len(exactHits))]...)
	}
	if need := q.PerPage - len(res.Hits); need > 0 {
		// The same walk, selecting the hit columns (records joined last,
		// by primary key).
		sel := strings.Replace(from, walkTermsIDsSQL, walkTermsHitsSQL, 1)
		sel = strings.Replace(sel, walkRankIDsSQL, walkRankHitsSQL, 1)
		var ranked []hitRow
		if err := s.DB.SelectContext(ctx, &ranked, sel+order+pageSQL,
			append(args, need, max(0, off-len(exact)))...); err != nil {
			return res, err
		}
		for _, h := range ranked {
			res.Hits = append(res.Hits, h.domain())
		}
	}
	if seen := off + len(res.Hits); res.TotalCapped && res.Total < seen {
		res.Total = seen // the bounded count missed matches the walk found
	}
	return res, nil
}

// hitColumns is a hitRow's columns (records r, record_search s).
const hitColumns = `r.id, r.isbn13, r.title, r.author, r.publisher, r.year, r.language, r.material, r.clc,
	s.holdings, s.available`

// termCountSQL counts a term's postings of held records up to a bound
// (%s). Locks: none.
const termCountSQL = `SELECT COUNT(*) FROM (SELECT 1 FROM record_terms WHERE term = ? AND rk < 0
	LIMIT %s) x`

// termCount counts a term's postings (of held records), stopping at limit.
func (s *Store) termCount(ctx context.Context, t ill.Term, limit int) (int, error) {
	var n int
	err := s.DB.GetContext(ctx, &n, fmt.Sprintf(termCountSQL, itoa(limit)), uint64(t))
	return n, err
}

// hitsSQL reads the hit columns of records (an IN list, expanded by
// sqlx.In). Locks: none.
const hitsSQL = `SELECT r.id, r.isbn13, r.title, r.author, r.publisher, r.year, r.language, r.material,
	r.clc, s.holdings, s.available FROM records r JOIN record_search s ON s.record_id = r.id WHERE r.id IN (?)`

// hits reads the records of ids, in that order.
func (s *Store) hits(ctx context.Context, ids []int64) ([]ill.SearchHit, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q, args, err := sqlx.In(hitsSQL, ids)
	if err != nil {
		return nil, err
	}
	var hs []hitRow
	if err := s.DB.SelectContext(ctx, &hs, q, args...); err != nil {
		return nil, err
	}
	pos := make(map[int64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	out := make([]ill.SearchHit, len(ids))
	n := 0
	for _, h := range hs {
		out[pos[h.ID]] = h.domain()
		n++
	}
	if n != len(ids) { // a record vanished between the two reads
		kept := out[:0]
		for _, h := range out {
			if h.ID != 0 {
				kept = append(kept, h)
			}
		}
		out = kept
	}
	return out, nil
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
