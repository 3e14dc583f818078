// Package queue spreads scans and hunts over many machines through a job
// queue in PostgreSQL (River, riverqueue/river): `exhunt scan --queue` and
// `exhunt hunt --queue` enqueue jobs, `exhunt worker` processes work them,
// and `exhunt queue status` shows their progress.
//
// A scan is cut into chunk jobs of consecutive targets, unique by their
// content and the scan options, so enqueueing the same list twice does the
// work once. A hunt is one job per evidence bundle, unique by the bundle's
// SHA-256 and the rule-pack version. A worker writes a job's results and
// marks the job complete in one PostgreSQL transaction (River's
// JobCompleteTx): a worker killed mid-job leaves neither, River's rescuer
// hands the job to another worker once --job-timeout has passed, and the
// store keeps one result per target of a scan even if two workers raced.
//
// The package calls the scan engine (internal/scan) and the hunt entry
// point (internal/hunt) unchanged and stores through internal/store; it
// never prints. Without --queue none of it runs: one machine stays the
// embedded default.
package queue
