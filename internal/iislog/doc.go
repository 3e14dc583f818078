// Package iislog streams IIS W3C extended log files (u_exYYMMDD.log, also
// gzip-rotated copies) into evidence.Records, one per request line, keyed by
// the W3C field names exactly as the file's #Fields: header spells them
// (date, time, cs-uri-stem, cs-uri-query, c-ip, cs(User-Agent), sc-status...).
//
// It handles any field order, #Fields: headers that change mid-file, the
// '+' that IIS writes for spaces in cs(User-Agent), '-' for empty values,
// IPv6 client addresses, and gzip input detected by its magic bytes with a
// caller-given bound on the decompressed size. It also reports what the file
// covers (first/last time, distinct days) so the hunt can warn about gaps.
//
// It does not judge requests (rules do), does not open files or walk folders
// (hunt does) and does not read IIS's other formats (NCSA, IIS native,
// centralised binary logging).
package iislog
