package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromium finds a headless-capable browser; CI installs the Debian
// package "chromium".
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH (apt-get install chromium): browser test skipped")
	return ""
}

// TestBrowser loads the dashboard in headless Chromium with a seeded fleet,
// opens a host, checks the timeline renders, and proves the XSS payloads
// planted in logs and file names do not execute. Screenshots go to the
// test's artifact directory (go test -artifacts keeps them).
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t, 0)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 1600))
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	// Any dialog (alert, confirm, prompt) means a payload ran.
	var mu sync.Mutex
	var dialogs []string
	chromedp.ListenTarget(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			mu.Lock()
			dialogs = append(dialogs, d.Message)
			mu.Unlock()
			go chromedp.Run(ctx, page.HandleJavaScriptDialog(false))
		}
	})
	dir := t.ArtifactDir()
	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var buf []byte
			if err := chromedp.FullScreenshot(&buf, 100).Do(ctx); err != nil { // quality 100: PNG
				return err
			}
			return os.WriteFile(filepath.Join(dir, name), buf, 0o644)
		})
	}
	var hosts, title, bodyText string
	var circles, imgs, scripts int
	var svgWidth float64
	err := chromedp.Run(ctx,
		chromedp.Navigate(f.srv.URL+"/"),
		chromedp.WaitVisible("#hosts", chromedp.ByQuery),
		chromedp.Text("#hosts", &hosts, chromedp.ByQuery),
		shot("overview.png"),
		chromedp.Click(`#hosts a[href="/hosts/EX01"]`, chromedp.ByQuery),
		chromedp.WaitVisible("svg.timeline", chromedp.ByQuery),
		chromedp.Title(&title),
		chromedp.Evaluate(`document.querySelectorAll('svg.timeline circle').length`, &circles),
		chromedp.Evaluate(`document.querySelector('svg.timeline').getBoundingClientRect().width`, &svgWidth),
		chromedp.Evaluate(`document.querySelectorAll('img').length`, &imgs),
		chromedp.Evaluate(`document.querySelectorAll('script').length`, &scripts),
		chromedp.Evaluate(`document.body.innerText`, &bodyText),
		shot("host-EX01.png"),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	for _, h := range []string{"EX01", "EX02", "EX03", "ex04.corp.example"} {
		if !strings.Contains(hosts, h) {
			t.Errorf("overview host table lacks %s:\n%s", h, hosts)
		}
	}
	if title != "exhunt report: EX01" {
		t.Errorf("host page title = %q", title)
	}
	if circles != 5 || svgWidth < 300 {
		t.Errorf("timeline: %d points, %.0f px wide; want 5 points on a visible chart", circles, svgWidth)
	}
	if imgs != 0 || scripts != 0 {
		t.Errorf("planted markup became elements: %d img, %d script", imgs, scripts)
	}
	// The payloads are on the page as text, inert.
	for _, p := range []string{`<script>alert("xss-url")</script>`, `"><img src=x onerror=alert("xss-file")>.aspx`} {
		if !strings.Contains(bodyText, p) {
			t.Errorf("payload %q not shown as text", p)
		}
	}
	var tlCircles int
	if err := chromedp.Run(ctx,
		chromedp.Navigate(f.srv.URL+"/timeline"),
		chromedp.WaitVisible("svg.timeline", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('svg.timeline circle').length`, &tlCircles),
		shot("timeline.png"),
	); err != nil {
		t.Fatalf("browser timeline: %v", err)
	}
	if tlCircles != 6 {
		t.Errorf("fleet timeline: %d points, want 6", tlCircles)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialogs) > 0 {
		t.Errorf("XSS payload executed: dialogs %q", dialogs)
	}
	t.Logf("screenshots in %s", dir)
}

// TestBrowserDetectsXSS is the control: the same dialog listener does see a
// script that runs, so a silent TestBrowser means the payloads did not.
func TestBrowserDetectsXSS(t *testing.T) {
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU)
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	got := make(chan string, 1)
	chromedp.ListenTarget(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			select {
			case got <- d.Message:
			default:
			}
			go chromedp.Run(ctx, page.HandleJavaScriptDialog(false))
		}
	})
	if err := chromedp.Run(ctx, chromedp.Navigate(`data:text/html,<img src=x onerror=alert("control")>`)); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m != "control" {
			t.Errorf("dialog %q", m)
		}
	case <-time.After(20 * time.Second):
		t.Error("the dialog listener missed a script that ran: TestBrowser's XSS check would be blind")
	}
}
