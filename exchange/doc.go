// Package exchange is how Fireline speaks to the world outside the command centre in the
// standards' own formats: an incident handed to a neighbouring centre as a NENA EIDO document
// (eido*.go). It reads the read model through the root's contracts and imports no driver.
package exchange
