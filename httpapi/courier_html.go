package httpapi

import (
	"html/template"
	"strings"

	"github.com/balis/illhub/ill"
)

// Printable pages: A4, Chinese, one section per courier stop,
// printed from the browser. html/template escapes every value.

const printCSS = `@page { size: A4; margin: 12mm 10mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; font-size: 10pt; color: #000; }
h1 { font-size: 16pt; margin: 0 0 2mm; } h2 { font-size: 13pt; margin: 6mm 0 2mm; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 3mm 0 1mm; }
table { width: 100%; border-collapse: collapse; page-break-inside: auto; }
tr { page-break-inside: avoid; } thead { display: table-header-group; }
th, td { border: 1px solid #000; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #eee; } .meta { margin: 0 0 3mm; } .sign { margin-top: 5mm; }
.stop { page-break-inside: avoid; } .box { width: 8mm; }
@media screen { body { max-width: 210mm; margin: 0 auto; } }`

var manifestTmpl = template.Must(template.New("manifest").Funcs(template.FuncMap{
	"inc": func(i int) int { return i + 1 },
	"dir": func(d ill.Direction) string {
		if d == ill.DirReturn {
			return "归还"
		}
		return "出借"
	},
}).Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>BALIS 馆际互借物流交接单 {{.RunDate}}</title>
<style>` + printCSS + `</style></head>
<body>
<h1>BALIS 馆际互借物流交接单</h1>
<p class="meta">运送日期：{{.RunDate}}　批次：{{.RunID}}　状态：{{if eq .Status "closed"}}已截单{{if .ClosedAt}}（{{.ClosedAt}}）{{end}}{{else}}未截单（预览）{{end}}　共 {{.Total}} 件　运费：免费（BALIS 管理中心承担）</p>
{{range .Stops}}<section class="stop" data-stop="{{.Library}}">
<h2>{{.Library}} {{.Name}}</h2>
<h3>取件 {{len .Pickups}} 件</h3>
<table><thead><tr><th>序号</th><th>申请号</th><th>条码</th><th>索书号</th><th>题名</th><th>类型</th><th>送往</th><th>线路</th><th class="box">核对</th></tr></thead>
<tbody>{{range $i, $it := .Pickups}}<tr class="pickup" data-request="{{$it.RequestID}}"><td>{{inc $i}}</td><td>{{$it.RequestID}}</td><td>{{$it.ItemBarcode}}</td><td>{{$it.CallNumber}}</td><td>{{$it.Title}}</td><td>{{dir $it.Direction}}</td><td>{{$it.To}} {{$it.ToName}}</td><td>{{$it.RouteCode}}</td><td></td></tr>
{{else}}<tr><td colspan="9">无</td></tr>{{end}}</tbody></table>
<h3>送达 {{len .Deliveries}} 件</h3>
<table><thead><tr><th>序号</th><th>申请号</th><th>条码</th><th>索书号</th><th>题名</th><th>类型</th><th>来自</th><th>线路</th><th class="box">签收</th></tr></thead>
<tbody>{{range $i, $it := .Deliveries}}<tr class="delivery" data-request="{{$it.RequestID}}"><td>{{inc $i}}</td><td>{{$it.RequestID}}</td><td>{{$it.ItemBarcode}}</td><td>{{$it.CallNumber}}</td><td>{{$it.Title}}</td><td>{{dir $it.Direction}}</td><td>{{$it.From}} {{$it.FromName}}</td><td>{{$it.RouteCode}}</td><td></td></tr>
{{else}}<tr><td colspan="9">无</td></tr>{{end}}</tbody></table>
<p class="sign">取件人签字：__________　　馆员签字：__________　　时间：__________</p>
</section>
{{else}}<p>本批次没有运送的图书。</p>
{{end}}</body></html>
`))

// RenderManifestHTML writes a run's manifest as a printable A4 page in
// Chinese: per stop, the pickups and the deliveries, each row with request
// id, barcode, call number, title and route code.
func RenderManifestHTML(b *strings.Builder, m ill.Manifest) error {
	return manifestTmpl.Execute(b, m)
}

var pullSlipTmpl = template.Must(template.New("pullslip").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>馆际互借提书单 {{.Library}} {{.Date}}</title>
<style>` + printCSS + `</style></head>
<body>
<h1>馆际互借提书单（按排架顺序）</h1>
<p class="meta">{{.Library}} {{.Name}}　日期：{{.Date}}　共 {{.Total}} 册</p>
<table><thead><tr><th>序号</th><th>索书号</th><th>题名</th><th>著者</th><th>ISBN</th><th>馆藏号</th><th>申请号</th><th>借入馆</th><th>寄出期限</th><th class="box">已取</th></tr></thead>
<tbody>{{range .Items}}<tr data-request="{{.RequestID}}"><td>{{.Seq}}</td><td>{{.CallNumber}}</td><td>{{.Title}}</td><td>{{.Author}}</td><td>{{.ISBN}}</td><td>{{.LocalID}}</td><td>{{.RequestID}}</td><td>{{.Borrower}}</td><td>{{with .ShipBy}}{{.}}{{end}}</td><td></td></tr>
{{else}}<tr><td colspan="10">今日没有待提取的图书。</td></tr>{{end}}</tbody></table>
</body></html>
`))

func renderPullSlipHTML(b *strings.Builder, v pullSlipView) error { return pullSlipTmpl.Execute(b, v) }
