package service_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/pdf/pdftest"
	"github.com/balis/illhub/sched"
	"github.com/balis/illhub/service"
)

// upload posts a PDF as library code's API key.
func upload(t *testing.T, h *harness.Harness, id, code, ctype string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", h.API.URL+"/v1/requests/"+id+"/file", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ill.DemoKey(code))
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func get(t *testing.T, url string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// submitCopy submits a copy of pages 1-10 of record rec for THU's reader.
func submitCopy(t *testing.T, h *harness.Harness, client string, rec int64) string {
	t.Helper()
	code, b := h.Call("POST", "/v1/requests", "THU", map[string]any{"client_request_id": client, "service_type": "copy",
		"patron": map[string]any{"id": "2023001", "name": "张三"}, "record_id": itoa64(rec),
		"item": map[string]any{"chapter": "第1章", "pages": "1-10"}})
	if code != http.StatusAccepted {
		t.Fatalf("submit: %d %v", code, b)
	}
	return b["request_id"].(string)
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

var linkRE = regexp.MustCompile(`/download/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

// A copy request delivered by upload: stamped and stored, the deliver
// action applied, the fee booked, the reader's notice carrying the signed
// link; the link downloads the file until the limit (then 410 and the
// delivery closed), a forged link is 404; a second delivery's file is
// deleted by copy-expiry after its period, with the timeline line, and its
// link refused.
func TestCopyDeliveryEndToEnd(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	ctx := context.Background()
	at := harness.Shanghai(2026, 3, 2, 9, 0)
	if _, err := h.St.SetCopyPrice(ctx, "PKU", ill.CopyPrice{Unit: ill.PerPage, PriceFen: 30}, "PKU/admin", at); err != nil {
		t.Fatal(err)
	}
	if err := h.St.SetSubsidyRule(ctx, ill.SubsidyRule{Category: ill.CategoryOther, Kind: ill.SubsidyShare, Value: 50}, "CENTRE/admin", at); err != nil {
		t.Fatal(err)
	}
	rec := testenv.Record(t, h.St, "9787040406641", "数据库系统概论", "王珊",
		testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	id := submitCopy(t, h, "thu-copy-1", rec)
	if b := h.WaitState(id, "THU", ill.Requested); b["lender"] != "PKU" {
		t.Fatalf("lender %v", b["lender"])
	}

	// Refusals before anything is stored: the borrower, a non-PDF.
	if code, b := upload(t, h, id, "THU", "application/pdf", pdftest.Pages(3)); code != http.StatusForbidden {
		t.Fatalf("borrower's upload: %d %s", code, b)
	}
	if code, b := upload(t, h, id, "PKU", "application/pdf", []byte("GIF89a not a pdf")); code != http.StatusUnsupportedMediaType {
		t.Fatalf("GIF upload: %d %s", code, b)
	}
	if code, b := upload(t, h, id, "PKU", "image/png", pdftest.Pages(3)); code != http.StatusUnsupportedMediaType {
		t.Fatalf("PNG content type: %d %s", code, b)
	}
	code, b := upload(t, h, id, "PKU", "application/pdf", pdftest.Pages(3))
	if code != http.StatusAccepted || !bytes.Contains(b, []byte(`"pages":3`)) {
		t.Fatalf("upload: %d %s", code, b)
	}
	h.WaitState(id, "THU", ill.Delivered)
	files, err := h.St.CopyFilesOf(ctx, id)
	if err != nil || len(files) != 1 {
		t.Fatalf("files %+v %v", files, err)
	}
	f := files[0]

	// The fee: 3 pages at 0.30 元, half subsidised.
	fees, err := h.St.CopyFeeList(ctx, ill.CopyFeeQuery{RequestID: id})
	if err != nil || len(fees) != 1 || fees[0].ChargeFen != 90 || fees[0].SubsidyFen != 45 || fees[0].ReaderFen != 45 ||
		fees[0].Supplier != "PKU" || fees[0].Borrower != "THU" {
		t.Fatalf("fees %+v %v", fees, err)
	}

	// The reader's notice carries the link.
	var body string
	if err := h.St.DB.GetContext(ctx, &body, `SELECT body FROM notices WHERE request_id = ? AND kind = ?`, id, ill.NoticeCopyDelivered); err != nil {
		t.Fatal(err)
	}
	link := linkRE.FindString(body)
	if link == "" {
		t.Fatalf("notice without a link: %q", body)
	}
	code, pdfBytes, hdr := get(t, h.API.URL+link)
	sum := sha256.Sum256(pdfBytes)
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/pdf" || hex.EncodeToString(sum[:]) != f.SHA256 ||
		!ill.LooksLikePDF(pdfBytes) || hdr.Get("X-Downloads-Remaining") != "4" {
		t.Fatalf("download: %d %v, %d bytes", code, hdr, len(pdfBytes))
	}
	if bytes.Equal(pdfBytes, pdftest.Pages(3)) {
		t.Fatal("the download is the unstamped upload")
	}
	forged := strings.Replace(link, "/download/", "/download/x", 1)
	if code, b, _ := get(t, h.API.URL+forged); code != http.StatusNotFound {
		t.Fatalf("forged link: %d %s", code, b)
	}
	for i := 2; i <= 5; i++ {
		if code, _, _ := get(t, h.API.URL+link); code != http.StatusOK {
			t.Fatalf("download %d: %d", i, code)
		}
	}
	code, b, _ = get(t, h.API.URL+link)
	if code != http.StatusGone || !bytes.Contains(b, []byte("link_expired")) {
		t.Fatalf("download over the limit: %d %s", code, b)
	}
	h.WaitState(id, "THU", ill.Completed)

	// A second copy, never downloaded: copy-expiry deletes it after 14 days.
	id2 := submitCopy(t, h, "thu-copy-2", rec)
	h.WaitState(id2, "THU", ill.Requested)
	if code, b := upload(t, h, id2, "PKU", "application/pdf", pdftest.Pages(2)); code != http.StatusAccepted {
		t.Fatalf("upload 2: %d %s", code, b)
	}
	h.WaitState(id2, "THU", ill.Delivered)
	files, _ = h.St.CopyFilesOf(ctx, id2)
	if len(files) != 1 {
		t.Fatalf("files of the second: %+v", files)
	}
	f2 := files[0]
	store, err := service.NewFileStore(ctx, h.Cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Stat(ctx, f2.Key); err != nil {
		t.Fatalf("stored file: %v", err)
	}
	p, err := service.NewProcessor(h.Cfg, h.St)
	if err != nil {
		t.Fatal(err)
	}
	jobs := (&sched.Jobs{Store: h.St, Processor: p, Log: h.Log, Files: store}).All(nil)
	if n := harness.RunJob(t, jobs, "copy-expiry", f2.ExpiresAt.Add(-time.Minute)); n != 0 {
		t.Fatalf("copy-expiry deleted %d files before their expiry", n)
	}
	// Both files were uploaded at the same (test) time: both expire.
	if n := harness.RunJob(t, jobs, "copy-expiry", f2.ExpiresAt.Add(time.Hour)); n != 2 {
		t.Fatalf("copy-expiry deleted %d files, want 2", n)
	}
	if n := harness.RunJob(t, jobs, "copy-expiry", f2.ExpiresAt.Add(2*time.Hour)); n != 0 {
		t.Fatalf("a second run deleted %d files again", n)
	}
	if _, err := store.Stat(ctx, f2.Key); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("file after expiry: %v", err)
	}
	b2 := h.WaitState(id2, "THU", ill.Completed)
	found := false
	for _, e := range harness.Events(b2) {
		if e["action"] == string(ill.ActFileDeleted) && strings.Contains(e["note"].(string), "文件已删除 / file deleted") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no file_deleted line on the timeline: %v", harness.Events(b2))
	}
	h.Clock.Set(f2.ExpiresAt.Add(time.Hour))
	if code, b, _ := get(t, h.API.URL+"/download/"+ill.SignLink([]byte("illhub-demo-link-secret"),
		ill.DownloadLink{RequestID: id2, FileID: f2.ID, Expires: f2.ExpiresAt.Add(30 * 24 * time.Hour)})); code != http.StatusGone {
		t.Fatalf("download of a deleted file: %d %s", code, b)
	}
}
