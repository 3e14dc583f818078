package emulator

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// serveRaw runs the kinds that do not speak HTTP properly. Every connection
// ends when the host closes.
func (h *Host) serveRaw(ln net.Listener) {
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	var wg sync.WaitGroup
	go func() {
		<-h.closed
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			break
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.rawConn(c)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			c.Close()
		}()
	}
	wg.Wait()
}

func (h *Host) rawConn(c net.Conn) {
	tick := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-h.closed:
			return false
		case <-t.C:
			return true
		}
	}
	switch h.Config.Kind {
	case TLSStall:
		// Accept and say nothing: a TLS client waits for ServerHello, an
		// HTTP client for a status line.
		<-h.closed
	case Garbage:
		b := make([]byte, 512)
		_, _ = rand.Read(b)
		_, _ = c.Write(b)
	case Slowloris:
		// Read the request, then answer one byte per 100 ms.
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 4096)
		_, _ = c.Read(buf)
		for _, b := range []byte("HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\nX-OWA-Version: 15.1.2176.2\r\n\r\n") {
			if _, err := c.Write([]byte{b}); err != nil || !tick(100*time.Millisecond) {
				return
			}
		}
	case EndlessHeaders:
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 4096)
		_, _ = c.Read(buf)
		if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\n")); err != nil {
			return
		}
		line := []byte("X-Filler: " + string(bytes.Repeat([]byte("a"), 1000)) + "\r\n")
		for i := 0; ; i++ {
			if _, err := c.Write(line); err != nil {
				return
			}
			if i%64 == 63 && !tick(time.Millisecond) {
				return
			}
		}
	}
}

// endlessBody streams a 200 body until the client goes away.
func endlessBody(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusOK)
	chunk := bytes.Repeat([]byte("<p>and on and on</p>\n"), 512)
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// gzipBomb sends ~64 KB of gzip that inflates to 64 MiB, whatever the
// client asked for (Accept-Encoding is ignored, as attackers would).
func gzipBomb(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Encoding", "gzip")
	b := bombBytes()
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

var bombBytes = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for range 64 {
		_, _ = zw.Write(zero)
	}
	_ = zw.Close()
	return buf.Bytes()
})
