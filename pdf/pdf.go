// Package pdf checks and stamps the PDF files suppliers deliver, with
// pdfcpu (github.com/pdfcpu/pdfcpu): the file is parsed and validated
// (relaxed, as readers accept), and every page gets the personal-use line
// (ill.StampText) at its foot, on top of the content. Chinese text needs a
// CJK TrueType font (ILL_STAMP_FONT, by default the Debian package
// fonts-wqy-microhei's /usr/share/fonts/truetype/wqy/wqy-microhei.ttc);
// without one the English line is stamped with a PDF core font.
//
// pdfcpu keeps its fonts in process-wide state, so a process has one
// Stamper's font set up once (New), and stamping is serialised.
package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/balis/illhub/ill"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/font"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Stamper implements ill.Stamper.
type Stamper struct {
	font string // pdfcpu font name: a CJK user font, or the core font Helvetica
	cjk  bool
}

var (
	mu        sync.Mutex // pdfcpu's font state and every stamp
	installed = map[string]string{}
)

// New prepares a stamper. fontFile is a TrueType font or collection
// (.ttf, .ttc) with Chinese glyphs; "" stamps the English line. The font
// is converted once into pdfcpu's form under cacheDir ("" : the system's
// temporary directory). A font that cannot be read or has no Chinese
// glyphs is an error (a configured font that silently fell back would hide
// the misconfiguration).
func New(fontFile, cacheDir string) (*Stamper, error) {
	mu.Lock()
	defer mu.Unlock()
	api.DisableConfigDir() // no ~/.config/pdfcpu: the hub configures what it uses
	if fontFile == "" {
		return &Stamper{font: "Helvetica"}, nil
	}
	if name, ok := installed[fontFile]; ok {
		return &Stamper{font: name, cjk: true}, nil
	}
	if cacheDir == "" {
		cacheDir = filepath.Join(os.TempDir(), "illhub-pdf-fonts")
	}
	st, err := os.Stat(fontFile)
	if err != nil {
		return nil, fmt.Errorf("pdf: ILL_STAMP_FONT: %w", err)
	}
	// One directory per font file and version, so a changed font is
	// converted again.
	dir := filepath.Join(cacheDir, fmt.Sprintf("%s-%d-%d", strings.ReplaceAll(filepath.Base(fontFile), ".", "_"),
		st.Size(), st.ModTime().Unix()))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("pdf: font cache: %w", err)
	}
	font.UserFontDir = dir
	if gobs, _ := filepath.Glob(filepath.Join(dir, "*.gob")); len(gobs) == 0 {
		install := font.InstallTrueTypeFont
		if strings.EqualFold(filepath.Ext(fontFile), ".ttc") {
			install = font.InstallTrueTypeCollection
		}
		// pdfcpu may fail on a later face of a collection (the Mono face
		// of wqy-microhei.ttc) after converting the first: what was
		// converted is used, and chineseFont below decides.
		if err := install(dir, fontFile); err != nil {
			if gobs, _ := filepath.Glob(filepath.Join(dir, "*.gob")); len(gobs) == 0 {
				return nil, fmt.Errorf("pdf: install font %s: %w", fontFile, err)
			}
		}
	}
	if err := font.LoadUserFonts(); err != nil {
		return nil, fmt.Errorf("pdf: load font %s: %w", fontFile, err)
	}
	name, err := chineseFont()
	if err != nil {
		return nil, fmt.Errorf("pdf: %s: %w", fontFile, err)
	}
	installed[fontFile] = name
	return &Stamper{font: name, cjk: true}, nil
}

// chineseFont picks the first (by name: a collection's proportional face
// before its "Mono") loaded user font with simplified Chinese glyphs.
func chineseFont() (string, error) {
	names := font.UserFontNames()
	sort.Strings(names)
	font.UserFontMetricsLock.RLock()
	defer font.UserFontMetricsLock.RUnlock()
	for _, n := range names {
		if ok, _ := font.UserFontMetrics[n].SupportsScript("HANS"); ok {
			return n, nil
		}
	}
	return "", errors.New("no font with Chinese glyphs in the file")
}

// CJK implements ill.Stamper.
func (s *Stamper) CJK() bool { return s.cjk }

// Font is the pdfcpu name of the font stamps are set in.
func (s *Stamper) Font() string { return s.font }

// Stamp implements ill.Stamper: in is parsed and validated (not a PDF, or
// one pdfcpu cannot read, encrypted ones included: unsupported_media_type),
// then text is drawn at the foot of every page, grey, on top of the
// content.
func (s *Stamper) Stamp(ctx context.Context, in []byte, text string) (ill.Stamped, error) {
	if !ill.LooksLikePDF(in) {
		return ill.Stamped{}, ill.Errorf(ill.CodeUnsupportedMedia, "the file is not a PDF")
	}
	if err := ctx.Err(); err != nil {
		return ill.Stamped{}, err
	}
	mu.Lock()
	defer mu.Unlock()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	pc, err := api.ReadValidateAndOptimize(bytes.NewReader(in), conf)
	if err != nil {
		return ill.Stamped{}, ill.Errorf(ill.CodeUnsupportedMedia, "the file is not a PDF the hub can read: %s", short(err))
	}
	if pc.PageCount < 1 {
		return ill.Stamped{}, ill.Errorf(ill.CodeUnsupportedMedia, "the PDF has no pages")
	}
	desc := fmt.Sprintf("font:%s, points:9, pos:bc, offset:0 12, scale:1 abs, rot:0, fillcol:#606060, opacity:0.85", s.font)
	wm, err := api.TextWatermark(text, desc, true, false, types.POINTS)
	if err != nil {
		return ill.Stamped{}, fmt.Errorf("pdf: stamp: %w", err)
	}
	if err := api.WatermarkContext(pc, nil, wm); err != nil {
		return ill.Stamped{}, ill.Errorf(ill.CodeUnsupportedMedia, "the PDF could not be stamped: %s", short(err))
	}
	var out bytes.Buffer
	if err := api.Write(pc, &out, conf); err != nil {
		return ill.Stamped{}, fmt.Errorf("pdf: write: %w", err)
	}
	return ill.Stamped{PDF: out.Bytes(), Pages: pc.PageCount}, nil
}

// short cuts a pdfcpu error to a line a supplier can read.
func short(err error) string {
	s := strings.TrimPrefix(err.Error(), "pdfcpu: ")
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160]
	}
	return s
}
