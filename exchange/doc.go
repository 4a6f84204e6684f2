// Package exchange writes the documents Fireline sends to the outside world in their own
// standards: CAP 1.2 public alerts about incidents, with the Atom feed that serves them
// (cap*.go). It speaks the domain's types and geo's cells; it stores nothing itself, and reads
// and writes through the contracts the root declares.
package exchange
