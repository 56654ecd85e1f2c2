package dashboard

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Charts are inline SVG drawn on the server: no JavaScript, no library,
// readable without colour (every bar carries its number and a <title>).

// bar is one labelled value of a chart.
type bar struct {
	Label string
	Value int
	Class string // CSS class giving the colour (severity or band name)
	Href  string
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// hbars draws horizontal bars, one per row, with the value at the end.
func hbars(title string, bars []bar) template.HTML {
	const rowH, labelW, barW = 20, 110, 220
	max := 1
	for _, b := range bars {
		if b.Value > max {
			max = b.Value
		}
	}
	h := rowH*len(bars) + 4
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" role="img" aria-label="%s" width="%d" height="%d" viewBox="0 0 %d %d">`,
		esc(title), labelW+barW+70, h, labelW+barW+70, h)
	fmt.Fprintf(&sb, `<title>%s</title>`, esc(title))
	for i, b := range bars {
		y := i*rowH + 2
		w := int(math.Round(float64(b.Value) / float64(max) * barW))
		if b.Value > 0 && w < 2 {
			w = 2
		}
		open, close := "", ""
		if b.Href != "" {
			open, close = fmt.Sprintf(`<a href="%s">`, esc(b.Href)), `</a>`
		}
		fmt.Fprintf(&sb, `%s<g><title>%s: %d</title><text x="%d" y="%d" text-anchor="end" class="lbl">%s</text>`+
			`<rect x="%d" y="%d" width="%d" height="%d" class="bar %s"/><text x="%d" y="%d" class="val">%d</text></g>%s`,
			open, esc(b.Label), b.Value, labelW-6, y+14, esc(b.Label), labelW, y+2, w, rowH-6, esc(b.Class),
			labelW+w+6, y+14, b.Value, close)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// stack draws one horizontal stacked bar (e.g. an LZ's open findings by
// severity) with a legend underneath.
func stack(title string, parts []bar) template.HTML {
	const w, h = 340, 18
	total := 0
	for _, p := range parts {
		total += p.Value
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" role="img" aria-label="%s" width="%d" height="%d" viewBox="0 0 %d %d"><title>%s</title>`,
		esc(title), w, h, w, h, esc(title))
	if total == 0 {
		fmt.Fprintf(&sb, `<rect x="0" y="0" width="%d" height="%d" class="bar none"/>`, w, h)
	}
	x := 0.0
	for _, p := range parts {
		if p.Value == 0 {
			continue
		}
		pw := float64(p.Value) / float64(total) * w
		fmt.Fprintf(&sb, `<rect x="%.1f" y="0" width="%.1f" height="%d" class="bar %s"><title>%s: %d</title></rect>`,
			x, pw, h, esc(p.Class), esc(p.Label), p.Value)
		x += pw
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// line draws a line chart of values over labelled points (the trend).
func line(title string, labels []string, values []int) template.HTML {
	const w, h, padL, padB = 360, 120, 40, 22
	if len(values) == 0 {
		return template.HTML(`<p class="meta">No scans recorded yet.</p>`)
	}
	max := 1
	for _, v := range values {
		if v > max {
			max = v
		}
	}
	step := 0.0
	if len(values) > 1 {
		step = float64(w-padL-10) / float64(len(values)-1)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" role="img" aria-label="%s" width="%d" height="%d" viewBox="0 0 %d %d"><title>%s</title>`,
		esc(title), w, h, w, h, esc(title))
	fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%d" class="axis"/>`, padL, h-padB, w-5, h-padB)
	fmt.Fprintf(&sb, `<text x="%d" y="12" text-anchor="end" class="lbl">%d</text><text x="%d" y="%d" text-anchor="end" class="lbl">0</text>`,
		padL-4, max, padL-4, h-padB)
	var pts []string
	for i, v := range values {
		x := float64(padL) + step*float64(i)
		y := float64(h-padB) - float64(v)/float64(max)*float64(h-padB-10)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		fmt.Fprintf(&sb, `<circle cx="%.1f" cy="%.1f" r="3" class="pt"><title>%s: %d open</title></circle>`, x, y, esc(labels[i]), v)
	}
	fmt.Fprintf(&sb, `<polyline points="%s" class="trend"/>`, strings.Join(pts, " "))
	fmt.Fprintf(&sb, `<text x="%d" y="%d" class="lbl">%s</text>`, padL, h-6, esc(labels[0]))
	if len(labels) > 1 {
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" class="lbl">%s</text>`, w-5, h-6, esc(labels[len(labels)-1]))
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}
