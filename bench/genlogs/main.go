// Command genlogs writes a large, realistic evidence tree of IIS W3C and
// Exchange HttpProxy logs for the hunt benchmark (bench/hunt-logs.sh):
// busy-server traffic (OWA, EWS, ActiveSync, MAPI, autodiscover, probes)
// with a few ProxyLogon, web-shell and ProxyShell requests at known,
// reproducible positions, which it prints so a run can be checked.
//
//	go run ./bench/genlogs -dir /tmp/exhunt-bench -size 2G
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	dir := flag.String("dir", "/tmp/exhunt-bench", "output directory (created)")
	size := flag.String("size", "2G", "minimum bytes to write (suffix K, M or G)")
	every := flag.Int64("every", 1_000_000, "one attack request per this many lines")
	seed := flag.Uint64("seed", 2021, "random seed")
	lines := flag.Int64("lines", 0, "at most this many lines per file, each part with its header (0: one IIS file per day, one HttpProxy file per hour and protocol)")
	depth := flag.Int("depth", 0, "spread the files along one chain of this many nested folders (0: the server's own layout)")
	flag.Parse()
	n, err := parseSize(*size)
	if err == nil {
		err = runLayout(*dir, n, *every, *seed, layout{lines: *lines, depth: *depth}, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genlogs:", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad -size %q", s)
	}
	return v * mult, nil
}

// Per-day output: IIS takes about 60% of the bytes, HttpProxy the rest,
// split into hourly files per protocol as Exchange does.
const (
	iisDir   = "inetpub/logs/LogFiles/W3SVC1"
	proxyDir = "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy"
	perDay   = 256 << 20
)

// layout shapes the tree: how long files are and how deep they lie.
type layout struct {
	lines int64 // at most this many lines per file, 0 for a server's own files
	depth int   // files spread along a chain of this many nested folders, 0 for none
}

type gen struct {
	layout
	files   int // files written
	r       *rand.Rand
	every   int64
	lines   int64
	per     [2]int64 // lines per family: 0 IIS, 1 HttpProxy
	attacks map[string]int64
	first   []string // positions of the first few attacks
	buf     []byte
}

func run(dir string, total, every int64, seed uint64, out io.Writer) error {
	return runLayout(dir, total, every, seed, layout{}, out)
}

func runLayout(dir string, total, every int64, seed uint64, l layout, out io.Writer) error {
	g := &gen{layout: l, r: rand.New(rand.NewPCG(seed, seed^0x5eed)), every: every, attacks: map[string]int64{}}
	start := time.Now()
	var written int64
	day := time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)
	for written < total {
		n, err := g.day(dir, day, min(perDay, total-written))
		if err != nil {
			return err
		}
		written += n
		day = day.AddDate(0, 0, 1)
	}
	el := time.Since(start)
	fmt.Fprintf(out, "wrote %d bytes, %d lines, %d files into %s in %s (%.0f MB/s)\n", written, g.lines, g.files, dir, el.Round(time.Millisecond), float64(written)/1e6/el.Seconds())
	var sum int64
	for _, k := range []string{"iis-ssrf-js", "iis-webshell-cmd", "iis-proxyshell", "httpproxy-serverinfo"} {
		fmt.Fprintf(out, "attacks %-22s %d\n", k, g.attacks[k])
		sum += g.attacks[k]
	}
	fmt.Fprintf(out, "attacks total %d; first: %s\n", sum, strings.Join(g.first, ", "))
	return nil
}

// day writes one day: an IIS file and 24 hourly HttpProxy files per protocol.
func (g *gen) day(dir string, day time.Time, budget int64) (int64, error) {
	iisBudget := budget * 6 / 10
	name := filepath.Join(dir, iisDir, "u_ex"+day.Format("060102")+".log")
	n, err := g.file(name, iisBudget, func(w *bufio.Writer, name string, line int64, sec int) {
		g.iisLine(w, name, line, day, sec)
	}, "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: "+day.Format("2006-01-02 15:04:05")+
		"\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n")
	if err != nil {
		return n, err
	}
	per := (budget - n) / 24 / int64(len(protocols))
	total := n
	for h := range 24 {
		for _, p := range protocols {
			name := filepath.Join(dir, proxyDir, p.name, "HttpProxy_"+day.Format("20060102")+fmt.Sprintf("%02d", h)+"-1.LOG")
			hdr := "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: HttpProxy Logs\r\n#Date: " +
				day.Add(time.Duration(h)*time.Hour).Format("2006-01-02T15:04:05.000Z") + "\r\n#Fields: " + proxyFields + "\r\n"
			n, err := g.file(name, per, func(w *bufio.Writer, name string, line int64, sec int) {
				g.proxyLine(w, name, line, day, h*3600+sec%3600, p)
			}, hdr)
			total += n
			if err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// file writes header then lines until budget bytes, spreading their times
// over the day. With layout.lines it writes parts of that many lines, each
// with the header (name-2, name-3, ... as Exchange names its rollovers).
func (g *gen) file(name string, budget int64, line func(w *bufio.Writer, name string, line int64, sec int), header string) (int64, error) {
	est := max(budget/300, 1)
	var total, i int64
	for part := 1; total < budget; part++ {
		p := g.place(name, part)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return total, err
		}
		f, err := os.Create(p)
		if err != nil {
			return total, err
		}
		g.files++
		cw := &countWriter{w: f}
		w := bufio.NewWriterSize(cw, 1<<20)
		w.WriteString(header)
		ln := int64(strings.Count(header, "\n"))
		for n := int64(0); total+cw.n+int64(w.Buffered()) < budget && (g.layout.lines == 0 || n < g.layout.lines); n++ {
			ln++
			line(w, p, ln, int(i*86400/est)%86400)
			i++
		}
		err = errors.Join(w.Flush(), f.Close())
		total += cw.n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// place is where part of the file name goes: name itself for part 1, else
// name with -part (HttpProxy_2021030100-1.LOG → -2.LOG) or _part before
// its extension; with layout.depth, under a chain of nested folders, each
// file one level deeper than the last, round the chain.
func (g *gen) place(name string, part int) string {
	if part > 1 {
		ext := filepath.Ext(name)
		base := strings.TrimSuffix(name, ext)
		if b, ok := strings.CutSuffix(base, "-1"); ok {
			name = fmt.Sprintf("%s-%d%s", b, part, ext)
		} else {
			name = fmt.Sprintf("%s_%d%s", base, part, ext)
		}
	}
	if g.depth <= 0 {
		return name
	}
	// The server's own folders sit at the end of the chain.
	k := g.files%g.depth + 1
	i := strings.Index(name, iisDir)
	if i < 0 {
		i = strings.Index(name, proxyDir)
	}
	return filepath.Join(name[:i], strings.Repeat("d/", k), name[i:])
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// tick counts a line of one log family and reports whether it should be an
// attack: the every/2-th line of each block of every lines, counted per
// family so both IIS and HttpProxy logs get their share.
func (g *gen) tick(family int) bool {
	g.lines++
	g.per[family]++
	return g.per[family]%g.every == g.every/2
}

func (g *gen) record(kind, name string, line int64) {
	g.attacks[kind]++
	if len(g.first) < 4 {
		g.first = append(g.first, fmt.Sprintf("%s %s:%d", kind, filepath.Base(name), line))
	}
}
