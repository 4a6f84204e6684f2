//go:build linux

package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// account is the system account the server runs as when we are root: PostgreSQL refuses to
// run as root, so initdb and postgres run as "postgres", who must own the data dir.
type account struct{ uid, gid int }

func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a 'postgres' system user to run the server as: %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("postgres user id %q: %w", u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("postgres group id %q: %w", u.Gid, err)
	}
	return &account{uid: uid, gid: gid}, nil
}

// procAttr puts server processes in their own session, so a Ctrl-C in the terminal reaches
// only us and we stop the server in order, and asks the kernel to send them SIGINT (a fast
// shutdown) if we die without stopping them.
func procAttr(a *account) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGINT}
	if a != nil {
		attr.Credential = &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid)}
	}
	return attr
}

// chownTree gives path and everything below it to a; nil a changes nothing.
func chownTree(path string, a *account) error {
	if a == nil {
		return nil
	}
	return filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) == a.uid && int(st.Gid) == a.gid {
			return nil
		}
		return os.Lchown(p, a.uid, a.gid)
	})
}

// reachable checks that account a can walk down to dir: a parent it may not search (a 0700
// temporary directory, a home directory) would otherwise fail as an obscure "permission
// denied" from initdb.
func reachable(dir string, a *account) error {
	if a == nil {
		return nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		info, err := os.Stat(p)
		if err != nil {
			return err
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		mode := info.Mode().Perm()
		search := mode&0o001 != 0 ||
			(ok && int(st.Uid) == a.uid && mode&0o100 != 0) ||
			(ok && int(st.Gid) == a.gid && mode&0o010 != 0)
		if !search {
			return fmt.Errorf("the postgres account cannot reach %s: %s is mode %#o (chmod o+x it, or choose another data dir)", dir, p, mode)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// lockDir takes an exclusive flock on the data directory itself. flock locks belong to the
// open file, so a second Cluster on the same dir is refused in this process as in any other,
// and the kernel drops the lock when the process dies.
func lockDir(dir string) (io.Closer, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrDataDirInUse
		}
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	return f, nil
}

func canInspectProcesses() bool {
	_, err := os.Stat("/proc/self/cwd")
	return err == nil
}

// isPostmasterOf reports whether process pid is a PostgreSQL server working in dataDir: the
// postmaster changes into its data directory, so its cwd names it. A zombie has no cwd.
func isPostmasterOf(pid int, dataDir string) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return false
	}
	if name := strings.TrimSpace(string(comm)); name != "postgres" && name != "postmaster" {
		return false
	}
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		return false
	}
	want, err := filepath.EvalSymlinks(dataDir)
	if err != nil {
		want = dataDir
	}
	return cwd == want
}

// stopOrphan asks an orphaned server for a fast shutdown and kills it if it does not go.
func stopOrphan(ctx context.Context, pid int, dataDir string) error {
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for isPostmasterOf(pid, dataDir) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			deadline = time.Now().Add(30 * time.Second)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}
