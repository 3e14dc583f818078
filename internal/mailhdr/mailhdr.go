// Package mailhdr finds the Microsoft Exchange servers a mail passed
// through, from its Received headers: Exchange stamps each hop
// "Received: from A by B with Microsoft SMTP Server (...) id 15.2.1544.9;
// <date>", which names the server (B), its exact build and a date. It
// reads raw header blocks, .eml messages and mbox archives, with bounded
// memory, and never trusts the text it reads (every field is attacker
// controlled: a build is only reported when it parses as one).
package mailhdr

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Limits on untrusted input.
const (
	MaxInput      = 256 << 20 // bytes read from one file
	maxHeaderLine = 64 << 10  // an unfolded header longer than this is cut
	maxHeaderSize = 1 << 20   // a header block larger than this is cut
	maxHops       = 100       // Received headers kept per message
)

// ErrTooLarge says the input exceeded MaxInput; what was read is kept.
var ErrTooLarge = errors.New("mailhdr: input larger than the limit, the rest was not read")

// Hop is one Exchange server a message passed through.
type Hop struct {
	Message   int       // 1-based index of the message in the file
	MessageID string    // its Message-ID, when it has one
	Host      string    // the server that stamped the header ("by" host)
	From      string    // the host it received the message from
	Build     string    // as written: 15.2.1544.9, 14.3.498.0, 15.20.8857.21
	Date      time.Time // zero when the header's date does not parse
	Frontend  bool      // "via Frontend Transport": the client access front end
	// Online says the build is Exchange Online's (15.20 and up), not a
	// server an organisation patches itself.
	Online bool
}

// exchangeStamp matches the part of a Received header Exchange writes:
// "with Microsoft SMTP Server (version=TLS1_2, cipher=...) id 15.2.1544.9"
// or "with Microsoft SMTP Server id 14.3.498.0".
var exchangeStamp = regexp.MustCompile(`(?i)\bwith\s+Microsoft\s+SMTP\s+Server\b(?:\s*\([^()]{0,300}\))?\s+id\s+(\d{1,2}\.\d{1,3}\.\d{1,5}\.\d{1,5})\b`)

var (
	byHost   = regexp.MustCompile(`(?i)\bby\s+([A-Za-z0-9._:\[\]-]{1,255})`)
	fromHost = regexp.MustCompile(`(?i)^\s*from\s+([A-Za-z0-9._:\[\]-]{1,255})`)
)

// Parse reads one file: a raw header block, one message, or an mbox
// archive (messages separated by "From " lines), and returns the Exchange
// hops of each message, in header order (newest first).
func Parse(r io.Reader) ([]Hop, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
	if err != nil {
		return nil, err
	}
	var tooLarge error
	if len(data) > MaxInput {
		data, tooLarge = data[:MaxInput], ErrTooLarge
	}
	var hops []Hop
	for i, msg := range splitMbox(data) {
		hops = append(hops, messageHops(msg, i+1)...)
	}
	return hops, tooLarge
}

// splitMbox splits an mbox archive at its "From " separator lines; any
// other input is one message.
func splitMbox(data []byte) [][]byte {
	if !bytes.HasPrefix(data, []byte("From ")) {
		return [][]byte{data}
	}
	var out [][]byte
	start := 0
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		if end < 0 {
			break
		}
		next := i + end + 1
		if next < len(data) && bytes.HasPrefix(data[next:], []byte("From ")) && (end == 0 || bytes.Equal(bytes.TrimRight(data[i:i+end], "\r"), nil)) {
			out = append(out, data[start:next])
			start = next
		}
		i = next
	}
	out = append(out, data[start:])
	for k := range out { // drop the "From " separator line itself
		if j := bytes.IndexByte(out[k], '\n'); j >= 0 {
			out[k] = out[k][j+1:]
		} else {
			out[k] = nil
		}
	}
	return out
}

// messageHops unfolds the header block of one message and reads its
// Received headers.
func messageHops(msg []byte, index int) []Hop {
	var received []string
	msgID := ""
	sc := bufio.NewScanner(bytes.NewReader(msg))
	sc.Buffer(make([]byte, 0, 64<<10), maxHeaderSize)
	var cur strings.Builder
	size := 0
	flush := func() {
		line := cur.String()
		cur.Reset()
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "received":
			if len(received) < maxHops {
				received = append(received, value)
			}
		case "message-id":
			msgID = strings.TrimSpace(value)
		}
	}
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		size += len(line) + 1
		if line == "" || size > maxHeaderSize {
			break // end of the header block
		}
		if (line[0] == ' ' || line[0] == '\t') && cur.Len() > 0 {
			if cur.Len() < maxHeaderLine {
				cur.WriteByte(' ')
				cur.WriteString(strings.TrimSpace(line))
			}
			continue
		}
		if cur.Len() > 0 {
			flush()
		}
		cur.WriteString(line)
	}
	if cur.Len() > 0 {
		flush()
	}
	var hops []Hop
	for _, v := range received {
		if h, ok := parseReceived(v); ok {
			h.Message, h.MessageID = index, clean(msgID)
			hops = append(hops, h)
		}
	}
	return hops
}

// parseReceived reads one unfolded Received header value.
func parseReceived(v string) (Hop, bool) {
	m := exchangeStamp.FindStringSubmatchIndex(v)
	if m == nil {
		return Hop{}, false
	}
	h := Hop{Build: v[m[2]:m[3]]}
	before, after := v[:m[0]], v[m[1]:]
	if b := byHost.FindStringSubmatch(before); b != nil {
		h.Host = clean(b[1])
	}
	if f := fromHost.FindStringSubmatch(before); f != nil {
		h.From = clean(f[1])
	}
	date := after
	if i := strings.LastIndexByte(after, ';'); i >= 0 {
		h.Frontend = strings.Contains(strings.ToLower(after[:i]), "frontend transport")
		date = after[i+1:]
	}
	h.Date = parseDate(date)
	var major, minor int
	fmt.Sscanf(h.Build, "%d.%d", &major, &minor)
	h.Online = major == 15 && minor >= 20
	return h, true
}

func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '('); i > 0 { // "... -0700 (PDT)"
		s = strings.TrimSpace(s[:i])
	}
	if t, err := mail.ParseDate(s); err == nil {
		return t
	}
	return time.Time{}
}

// clean keeps printable ASCII only: header text is attacker controlled and
// is printed to terminals and CSV.
func clean(s string) string {
	if len(s) > 255 {
		s = s[:255]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e {
			return -1
		}
		return r
	}, s)
}
