// Package evidence opens what a user hands to `exhunt hunt` — a folder tree
// copied from a server, a zip of such a tree, or single files — strictly
// read-only, lists its files with Windows-style case-insensitive paths,
// hashes every byte read, and defines Record, the parsed unit that log and
// event parsers produce and rules consume.
//
// It does not parse log formats (iislog, exlog and eventlog do) and does not
// judge anything (rules and hunt do).
package evidence
