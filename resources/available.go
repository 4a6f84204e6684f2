package resources

import (
	"context"
	"fmt"
	"slices"
)

// Availability says which units PostgreSQL holds as committed or out of service. postgres.DB
// implements it.
type Availability interface {
	// Unavailable returns those of the given units that are not available for dispatch now.
	Unavailable(ctx context.Context, unitIDs []string) ([]string, error)
}

// Recommend is what fills a response plan from the index: Recommender, or a test's fake.
type Recommend interface {
	Recommend(ctx context.Context, req Request) (Result, error)
}

// staleRetries bounds how often RecommendAvailable asks again after PostgreSQL showed the index
// stale: a change feed a few notices behind costs one retry, and a burst of dispatches a few more.
const staleRetries = 3

// RecommendAvailable fills req from r's index and checks every recommended and alternate unit
// against PostgreSQL, recommending again without the ones it finds taken. The index follows the
// change feed a few milliseconds behind, so a unit another incident reserved a moment ago may
// still stand in it: this is the one place that makes sure a unit reserved by one incident is
// never recommended to another.
func RecommendAvailable(ctx context.Context, r Recommend, av Availability, req Request) (Result, error) {
	exclude := slices.Clone(req.Exclude)
	for try := 0; ; try++ {
		req.Exclude = exclude
		res, err := r.Recommend(ctx, req)
		if err != nil {
			return Result{}, err
		}
		taken, err := Taken(ctx, av, res)
		if err != nil || len(taken) == 0 {
			return res, err
		}
		if try == staleRetries {
			return Result{}, fmt.Errorf("unit index still stale after %d retries: %v taken", staleRetries, taken)
		}
		exclude = append(exclude, taken...)
	}
}

// Taken is those of res's units and alternates PostgreSQL holds as unavailable now.
func Taken(ctx context.Context, av Availability, res Result) ([]string, error) {
	var ids []string
	for _, r := range slices.Concat(res.Units, res.Alternates) {
		ids = append(ids, r.UnitID)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	taken, err := av.Unavailable(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("check recommendation: %w", err)
	}
	return taken, nil
}
