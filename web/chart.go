package web

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// series is one set of bars in a chart.
type series struct {
	Name   string
	Color  string
	Values []float64
}

// barChart renders a horizontal grouped bar chart as inline SVG (no
// script; presentation attributes only, so the strict CSP holds). Each
// label gets one bar per series, with its value written after the bar.
func barChart(title string, labels []string, ss []series) template.HTML {
	if len(labels) == 0 || len(ss) == 0 {
		return ""
	}
	const width, labelW, valueW, barH, gap = 760, 170, 60, 14, 10
	maxV := 0.0
	for _, s := range ss {
		for _, v := range s.Values {
			maxV = max(maxV, v)
		}
	}
	if maxV == 0 {
		maxV = 1
	}
	groupH := barH*len(ss) + gap
	legendH := 28
	height := legendH + groupH*len(labels) + gap
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title" viewBox="0 0 %d %d" width="%d" height="%d" class="chart-svg">`,
		width, height, width, height)
	fmt.Fprintf(&b, `<title id="chart-title">%s</title>`, html.EscapeString(title))
	x := labelW
	for _, s := range ss {
		fmt.Fprintf(&b, `<rect x="%d" y="6" width="12" height="12" fill="%s"/><text x="%d" y="16" font-size="13" fill="#1a1a1a">%s</text>`,
			x, s.Color, x+16, html.EscapeString(s.Name))
		x += 24 + 14*len([]rune(s.Name))
	}
	plotW := float64(width - labelW - valueW)
	for i, l := range labels {
		y0 := legendH + i*groupH
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" text-anchor="end" fill="#1a1a1a">%s</text>`,
			labelW-8, y0+barH*len(ss)/2+5, html.EscapeString(l))
		for j, s := range ss {
			v := 0.0
			if i < len(s.Values) {
				v = s.Values[i]
			}
			w := int(plotW * v / maxV)
			y := y0 + j*barH
			fmt.Fprintf(&b, `<rect class="bar" x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s %s: %s</title></rect>`,
				labelW, y, max(w, 1), barH-2, s.Color, html.EscapeString(l), html.EscapeString(s.Name), num(v))
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#333">%s</text>`, labelW+w+4, y+barH-4, num(v))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
}

func num(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprint(int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}
