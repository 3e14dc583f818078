// Package web is exhunt's fleet dashboard and HTTP API: server-rendered
// pages (fleet overview by verdict and exposure, builds against CVEs, a
// host page with the same content as the HTML report, a timeline across
// hosts, indicators seen on more than one host), an upload API that hunts
// on many servers report to, a read API for the same data, and [Upload],
// the client side of the upload API.
//
// Pages use html/template and embedded CSS only; there is no script, and a
// Content-Security-Policy forbids any. API calls need a bearer token.
// Uploads are bounded in size, validated (package result) before anything
// is written, stored in one transaction, and acknowledged only after the
// commit, so an acknowledged upload survives a crash of the server.
//
// The package does not detect or judge anything: it serves what the store
// holds.
package web
