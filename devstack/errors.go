package devstack

import "errors"

var (
	// ErrDataDirInUse means another running dev stack, in this process or
	// another, holds the data directory. Two Temporal servers on one SQLite
	// file would both claim its history shards.
	ErrDataDirInUse = errors.New("data directory in use by another instance")

	// ErrPortInUse means a requested loopback port is already bound.
	ErrPortInUse = errors.New("port in use")

	// ErrNotReady means the server did not answer within the start timeout.
	ErrNotReady = errors.New("temporal server not ready")
)
