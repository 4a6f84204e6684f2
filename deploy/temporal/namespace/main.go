// Command namespace registers a Temporal namespace on a standalone server and waits until the
// frontend serves it: the step Temporal's own command-line client does on a fresh cluster,
// kept here so that `make cluster` needs nothing but Go modules. It is idempotent: an existing
// namespace is left as it is.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"
)

func main() {
	address := flag.String("address", "127.0.0.1:7233", "the Temporal frontend's gRPC address")
	namespace := flag.String("namespace", "default", "the namespace to register")
	retention := flag.Duration("retention", 7*24*time.Hour, "how long closed workflows are kept (only when the namespace is created)")
	wait := flag.Duration("wait", 2*time.Minute, "how long to wait for the frontend to answer and serve the namespace")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *wait)
	defer cancel()
	if err := run(ctx, *address, *namespace, *retention); err != nil {
		fmt.Fprintln(os.Stderr, "namespace:", err)
		os.Exit(1)
	}
}

// run retries while the server is still starting: a fresh server answers Unavailable until its
// services have joined the ring, and a new namespace reaches the frontend's cache only after
// its next refresh, so success is a Describe that finds it.
func run(ctx context.Context, address, namespace string, retention time.Duration) error {
	var nc client.NamespaceClient
	for {
		var err error
		nc, err = client.NewNamespaceClient(client.Options{HostPort: address, Logger: quiet{}})
		if err == nil {
			break
		}
		if err := pause(ctx, err); err != nil {
			return err
		}
	}
	defer nc.Close()
	registered := false
	for {
		_, err := nc.Describe(ctx, namespace)
		if err == nil {
			return nil
		}
		var notFound *serviceerror.NamespaceNotFound
		if errors.As(err, &notFound) && !registered {
			err = nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{
				Namespace:                        namespace,
				WorkflowExecutionRetentionPeriod: durationpb.New(retention),
			})
			var exists *serviceerror.NamespaceAlreadyExists
			if err == nil || errors.As(err, &exists) {
				registered = true
				if err == nil {
					slog.Info("registered", "namespace", namespace, "retention", retention)
				}
				continue
			}
		}
		if err := pause(ctx, err); err != nil {
			return err
		}
	}
}

func pause(ctx context.Context, last error) error {
	select {
	case <-ctx.Done():
		return fmt.Errorf("gave up waiting: %w", last)
	case <-time.After(time.Second):
		return nil
	}
}

// quiet drops the SDK's own logging: the retries above are expected while the server starts.
type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}
