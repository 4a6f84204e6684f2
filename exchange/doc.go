// Package exchange is how Fireline speaks to the world outside the command centre in the
// standards' own formats: an incident handed to a neighbouring centre as a NENA EIDO document
// (eido*.go), and the public alerts it publishes as CAP 1.2 messages with the Atom feed that
// serves them (cap*.go). It reads and writes through the root's contracts, draws areas with
// geo's cells, and imports no driver.
package exchange
