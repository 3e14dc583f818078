package hunt

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/finding"
	"github.com/exhunt/exhunt/internal/rules"
	"github.com/exhunt/exhunt/internal/safetext"
)

// The page inventory follows the requests to script pages (.aspx, .ashx,
// .soap, and .asmx with a command or tunnel in its query: what the line
// prefilter of the web-shell rules lets through) that are neither stock
// Exchange pages nor Exchange's own applications: pages in the web shell drop folders
// (aspnet_client, owa/auth, ecp/auth, oab) and pages anywhere outside
// Exchange's virtual directories. Rules see one request at a time; the
// inventory sees a page's whole history, which tells web-shell use that
// no single request shows: a page first requested during the attack and
// answered 200, encoded payloads posted to it, or a page only one client
// ever talks to, by POST.

// Rule ids of the inventory's findings.
const (
	ruleNewPage      = "exhunt:page-first-seen-in-attack-window"
	ruleEncodedPost  = "exhunt:page-encoded-post"
	ruleSingleClient = "exhunt:page-posts-from-one-client"
)

// pageClass says what a requested path is.
type pageClass int

const (
	notScript   pageClass = iota
	stockPage             // a stock Exchange page (iocs/stock-aspx.csv)
	exchangeApp           // inside an Exchange virtual directory
	dropFolder            // in a web shell drop folder, not stock
	foreignPage           // a script page outside Exchange's virtual directories
)

// dropFolders are where the 2021 web shells were written.
var dropFolders = []string{"/aspnet_client/", "/owa/auth/", "/ecp/auth/", "/oab/"}

var scriptExts = []string{".aspx", ".ashx", ".asmx", ".soap"}

// pageData is the stock list and Exchange's virtual directories, from the
// rule pack's iocs folder.
var pageData = sync.OnceValues(func() (map[string]bool, map[string]bool) {
	stock, vdirs := map[string]bool{}, map[string]bool{}
	if b, err := rules.PackData("stock-aspx.csv"); err == nil {
		rows, _ := csv.NewReader(bytes.NewReader(b)).ReadAll()
		for _, r := range rows[min(1, len(rows)):] {
			if len(r) >= 2 {
				stock[strings.ToLower(r[0]+r[1])] = true
			}
		}
	}
	list, _ := rules.PackList("exchange-vdirs.txt")
	for _, l := range list {
		vdirs[strings.ToLower(l)] = true
	}
	return stock, vdirs
})

// classifyPage classifies a request's URL path.
func classifyPage(stem string) pageClass {
	l := strings.ToLower(stem)
	script := false
	for _, e := range scriptExts {
		script = script || strings.HasSuffix(l, e)
	}
	if !script {
		return notScript
	}
	stock, vdirs := pageData()
	if stock[l] {
		return stockPage
	}
	for _, d := range dropFolders {
		if strings.HasPrefix(l, d) {
			return dropFolder
		}
	}
	seg, _, _ := strings.Cut(strings.TrimPrefix(l, "/"), "/")
	if vdirs[seg] {
		return exchangeApp
	}
	return foreignPage
}

// ewsEndpoint is Exchange Web Services' one page, a tenth of a server's
// requests: the line test leaves it out at once.
var ewsEndpoint = []byte("/ews/exchange")

// hasScriptExt is the cheap line test: does the line name a script page
// (.as?x or .soap, any case) other than the EWS endpoint?
func hasScriptExt(line []byte) bool {
	for i := bytes.IndexByte(line, '.'); i >= 0; {
		if scriptExtAt(line, i) {
			return true
		}
		j := bytes.IndexByte(line[i+1:], '.')
		if j < 0 {
			return false
		}
		i += j + 1
	}
	return false
}

// scriptExtAt says whether line[i:] starts a script extension that is not
// the EWS endpoint's.
func scriptExtAt(line []byte, i int) bool {
	if i+5 > len(line) {
		return false
	}
	a, b, c, d := line[i+1]|0x20, line[i+2]|0x20, line[i+3]|0x20, line[i+4]|0x20
	switch {
	case a == 's' && b == 'o' && c == 'a' && d == 'p':
		return true
	case a != 'a' || b != 's' || d != 'x':
		return false
	case c == 'p' || c == 'h':
		return true
	case c == 'm':
		return i < len(ewsEndpoint) || !bytes.EqualFold(line[i-len(ewsEndpoint):i], ewsEndpoint)
	}
	return false
}

type pageKey struct{ kind, stem string } // kind: iis or httpproxy; stem in lower case

// pageRef is one request to a page.
type pageRef struct {
	source string
	line   int64
	at     time.Time
	what   string // method, query, status, client
}

// page is what the logs show of one page.
type page struct {
	class    pageClass
	file     string // the log of the first request, for the host it belongs to
	stem     string
	first    pageRef
	ok       *pageRef // first 2xx answer
	encoded  *pageRef // first POST with an encoded payload in its query
	posts    int      // POSTs answered 2xx
	clients  []string // distinct clients, up to maxClients+1
	requests int
}

const (
	maxPages   = 10000
	maxClients = 8
	// minSingleClientPosts is how many successful POSTs from one client,
	// and no request from any other, make a page look operated.
	minSingleClientPosts = 10
)

// pageRequest adds one request to the inventory.
func (h *hostHunt) pageRequest(kind, file string, rec *evidence.Record, stem, status, method, client, query string) {
	cls := classifyPage(stem)
	if cls != dropFolder && cls != foreignPage {
		return
	}
	ok := strings.HasPrefix(status, "2")
	ref := pageRef{source: rec.Source, line: rec.Line, at: rec.Time,
		what: safetext.Truncate(fmt.Sprintf("%s %s?%s → %s from %s", method, stem, query, status, client), 400)}
	k := pageKey{kind, strings.ToLower(stem)}
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.pages[k]
	if p == nil {
		if len(h.pages) >= maxPages {
			return
		}
		p = &page{class: cls, file: file, stem: stem, first: ref}
		h.pages[k] = p
	}
	p.requests++
	if earlier(ref, p.first) {
		p.first, p.file = ref, file
	}
	if ok && (p.ok == nil || earlier(ref, *p.ok)) {
		r := ref
		p.ok = &r
	}
	if ok && strings.EqualFold(method, "POST") {
		p.posts++
		if encodedPayload(query) && (p.encoded == nil || earlier(ref, *p.encoded)) {
			r := ref
			p.encoded = &r
		}
	}
	if client != "" && len(p.clients) <= maxClients && !slices.Contains(p.clients, client) {
		p.clients = append(p.clients, client)
	}
}

// earlier orders requests by time, then place, so the inventory is the
// same whatever order the files were read in.
func earlier(a, b pageRef) bool {
	return cmp.Or(a.at.Compare(b.at), strings.Compare(a.source, b.source), cmp.Compare(a.line, b.line)) < 0
}

// encodedPayload says whether a query carries a long base64 run: web-shell
// managers post their commands encoded.
func encodedPayload(query string) bool {
	run, upper, lower, digit := 0, false, false, false
	for i := 0; i <= len(query); i++ {
		var c byte
		if i < len(query) {
			c = query[i]
		}
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
			digit = true
		case c == '+' || c == '/' || c == '=' || c == '%':
		default:
			if run >= 40 && upper && lower && digit {
				return true
			}
			run, upper, lower, digit = 0, false, false, false
			continue
		}
		run++
	}
	return false
}

// pageFindings turns the inventory into findings.
func (h *hostHunt) pageFindings() {
	from, to := h.attackWindow()
	keys := slices.SortedFunc(maps.Keys(h.pages), func(a, b pageKey) int {
		return cmp.Or(strings.Compare(a.kind, b.kind), strings.Compare(a.stem, b.stem))
	})
	starts := map[string]time.Time{} // per kind: one pass over the sources, not one per page
	for _, k := range keys {
		p := h.pages[k]
		start, ok := starts[k.kind]
		if !ok {
			start = h.coverStart(k.kind)
			starts[k.kind] = start
		}
		if p.class == foreignPage && p.ok != nil && !from.IsZero() && !p.first.at.Before(from) && !p.first.at.After(to) &&
			!start.IsZero() && p.first.at.Sub(start) >= 24*time.Hour {
			h.findings = append(h.findings, pageFinding(ruleNewPage, "Script page first requested during the attack and answered "+statusOf(p.ok.what), finding.High, *p.ok,
				fmt.Sprintf("%s was first requested at %s, during the attack (%s to %s), although the %s logs reach back to %s: a page that did not exist before, answered %s: %s",
					p.stem, p.first.at.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), k.kind, start.UTC().Format("2006-01-02"), statusOf(p.ok.what), p.ok.what)))
		}
		if p.encoded != nil {
			h.findings = append(h.findings, pageFinding(ruleEncodedPost, "Encoded payload posted to a non-stock script page", finding.High, *p.encoded,
				fmt.Sprintf("a POST to %s carried a long base64 value in its query, as web-shell managers send their commands, and was answered: %s", p.stem, p.encoded.what)))
		}
		if p.posts >= minSingleClientPosts && len(p.clients) == 1 && p.ok != nil {
			h.findings = append(h.findings, pageFinding(ruleSingleClient, "Non-stock script page operated by one client (repeated successful POSTs)", finding.Medium, *p.ok,
				fmt.Sprintf("%s answered %d POSTs, all from %s, and no other client ever requested it (%d requests): how a web shell or tunnel is driven; first success: %s",
					p.stem, p.posts, p.clients[0], p.requests, p.ok.what)))
		}
	}
}

func pageFinding(rule, title string, sev finding.Severity, ref pageRef, evidence string) finding.Finding {
	return finding.Finding{Rule: rule, Title: title, Severity: sev, CVEs: []string{}, Attack: []string{"T1505.003"},
		Outcome: finding.Succeeded, Time: ref.at, Source: ref.source, Line: ref.line, Kind: finding.KindLog,
		Evidence: safetext.Truncate(evidence, maxEvidence), Details: map[string]string{"request": ref.what}}
}

func statusOf(what string) string {
	_, after, ok := strings.Cut(what, "→ ")
	if !ok {
		return ""
	}
	s, _, _ := strings.Cut(after, " ")
	if _, err := strconv.Atoi(s); err != nil {
		return ""
	}
	return s
}

// attackWindow is the span of the host's exploitation and web-shell
// findings (CVE, T1190 or T1505 tags, attempted or succeeded), widened by
// two weeks after the last: when pages appear that were not there before.
func (h *hostHunt) attackWindow() (time.Time, time.Time) {
	var from, to time.Time
	for _, f := range h.findings {
		if f.Time.IsZero() || f.Severity.Rank() < finding.High.Rank() || f.Outcome == finding.Unknown && f.Kind == finding.KindLog {
			continue
		}
		if len(f.CVEs) == 0 && !hasTechnique(f, "T1190") && !hasTechnique(f, "T1505") {
			continue
		}
		if from.IsZero() || f.Time.Before(from) {
			from = f.Time
		}
		if f.Time.After(to) {
			to = f.Time
		}
	}
	if from.IsZero() {
		return from, to
	}
	return from, to.Add(14 * 24 * time.Hour)
}

// coverStart is when the host's logs of a kind (iis, httpproxy) begin.
func (h *hostHunt) coverStart(kind string) time.Time {
	var start time.Time
	for src, c := range h.coverage {
		if (src == kind || strings.HasPrefix(src, kind+"/")) && !c.first.IsZero() && (start.IsZero() || c.first.Before(start)) {
			start = c.first
		}
	}
	return start
}
