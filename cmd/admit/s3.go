package main

import (
	"context"
	"time"

	"github.com/admithq/admit/internal/config"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/s3"
)

// openS3 opens the bucket of exports and backups and checks that it
// answers, naming the component and how to start it if not.
func openS3(ctx context.Context, cfg *config.Config) (*s3.Store, error) {
	st, err := s3.Open(ctx, s3.Config(cfg.S3))
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := st.Ping(pingCtx); err != nil {
		addr := cfg.S3.Endpoint
		if addr == "" {
			addr = "AWS S3"
		}
		return nil, &dependencyError{component: "s3", addr: addr + " bucket " + cfg.S3.Bucket, err: err}
	}
	return st, nil
}

func openExportStorage(ctx context.Context, cfg *config.Config) (jobs.ExportStorage, error) {
	st, err := openS3(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &jobs.S3Storage{Store: st}, nil
}
