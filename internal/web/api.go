package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/exhunt/exhunt/internal/store"
	"github.com/exhunt/exhunt/internal/store/result"
)

// UploadResponse acknowledges an upload: every document is stored (or
// was already) when it is sent.
type UploadResponse struct {
	Saved []store.Saved `json:"saved"`
	New   int           `json:"new"`
}

// upload stores the hunt and scan results of the body: one JSON object, an
// array, or JSON lines. Nothing is written unless the whole body is valid.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	body := http.MaxBytesReader(w, r.Body, s.maxBody())
	var docs []result.Doc
	err := result.ReadResults(body, func(d result.Doc) error {
		docs = append(docs, d)
		return nil
	})
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "body larger than "+strconv.FormatInt(tooBig.Limit, 10)+" bytes; upload fewer results per request")
		return
	case errors.Is(err, result.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "read body: "+err.Error())
		return
	case len(docs) == 0:
		writeError(w, http.StatusBadRequest, "no hunt or scan result in the body")
		return
	}
	saved, err := s.Store.Save(r.Context(), docs...)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	resp := UploadResponse{Saved: saved}
	for _, sv := range saved {
		if sv.New {
			resp.New++
		}
	}
	s.logger().Info("upload", "results", len(saved), "new", resp.New, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) apiHosts(w http.ResponseWriter, r *http.Request) {
	hosts, err := s.Store.Hosts(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if hosts == nil {
		hosts = []store.HostSummary{}
	}
	writeJSON(w, http.StatusOK, hosts)
}

// HostDetail is the read API's answer for one host.
type HostDetail struct {
	Host string          `json:"host"`
	Hunt json.RawMessage `json:"hunt,omitempty"` // newest hunt result
	Scan json.RawMessage `json:"scan,omitempty"` // newest scan result
	Runs []store.Run     `json:"runs"`
}

func (s *Server) apiHost(w http.ResponseWriter, r *http.Request) {
	host := r.PathValue("host")
	runs, err := s.Store.Runs(r.Context(), store.Filter{Host: host})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if len(runs) == 0 {
		writeError(w, http.StatusNotFound, "no result for host "+strconv.Quote(host))
		return
	}
	d := HostDetail{Host: runs[0].Host, Runs: runs}
	for _, run := range runs {
		if (run.Kind == result.Hunt && d.Hunt == nil) || (run.Kind == result.Scan && d.Scan == nil) {
			_, doc, err := s.Store.Doc(r.Context(), run.ID)
			if err != nil {
				s.serverError(w, r, err)
				return
			}
			if run.Kind == result.Hunt {
				d.Hunt = doc
			} else {
				d.Scan = doc
			}
		}
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	runs, err := s.Store.Runs(r.Context(), store.Filter{Host: q.Get("host"), Kind: result.Kind(q.Get("kind")), Limit: max(limit, 0)})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if runs == nil {
		runs = []store.Run{}
	}
	writeJSON(w, http.StatusOK, runs)
}

func (s *Server) apiRun(w http.ResponseWriter, r *http.Request) {
	_, doc, err := s.Store.Doc(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such run")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(doc)
}

func (s *Server) apiCorrelations(w http.ResponseWriter, r *http.Request) {
	c, err := s.Store.Correlate(r.Context(), 2)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if c == nil {
		c = []store.Correlation{}
	}
	writeJSON(w, http.StatusOK, c)
}
