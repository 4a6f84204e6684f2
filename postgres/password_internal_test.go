package postgres

import (
	"context"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/fireline/fireline"
)

// TestPasswordChecksQueue: with every place among passwordChecks taken, a sign-in waits for
// one, and gives up as unavailable when its request ends first; once a place is free it
// checks the password.
func TestPasswordChecksQueue(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for range cap(passwordChecks) {
		passwordChecks <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if ok, err := checkPassword(ctx, string(hash), "correct horse"); ok || fireline.ErrorCode(err) != fireline.EUNAVAILABLE {
		t.Errorf("every place taken: %v, %v; want unavailable once the request ended", ok, err)
	}
	done := make(chan bool)
	go func() {
		ok, _ := checkPassword(context.Background(), string(hash), "correct horse")
		done <- ok
	}()
	select {
	case <-done:
		t.Fatal("checked a password while every place was taken")
	case <-time.After(20 * time.Millisecond):
	}
	for range cap(passwordChecks) {
		<-passwordChecks
	}
	if !<-done {
		t.Error("the queued check refused the right password")
	}
	if ok, err := checkPassword(context.Background(), string(hash), "wrong"); ok || err != nil {
		t.Errorf("wrong password: %v, %v", ok, err)
	}
}
