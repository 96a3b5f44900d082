// Package s3 stores files in an S3 bucket (AWS S3, or any S3-compatible
// server such as the local stack's): exports and database backups share it,
// each under a prefix of its own.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithy "github.com/aws/smithy-go"
)

// Config names the bucket and how to reach it.
type Config struct {
	// Endpoint is an S3-compatible server's URL; empty: AWS's own for the
	// region. With an endpoint, buckets are addressed by path
	// (http://host/bucket/key), which every S3-compatible server accepts.
	Endpoint string
	Region   string
	Bucket   string
	// AccessKey and SecretKey, when set, are used as they are; when not,
	// the AWS SDK's defaults apply (environment, shared config, instance
	// role), except with an Endpoint, where a local server takes any key.
	AccessKey, SecretKey string
}

// Store is one bucket.
type Store struct {
	client *s3.Client
	bucket string
}

// partSize is the size of the parts a stream of unknown length is uploaded
// in: S3's minimum is 5 MiB, and at 8 MiB a 80 GB backup stays under the
// limit of 10,000 parts.
const partSize = 8 << 20

// Open returns the store of cfg.Bucket. It does not connect; Ping does.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("no S3 bucket is configured")
	}
	opts := []func(*awsconfig.LoadOptions) error{}
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	key, secret := cfg.AccessKey, cfg.SecretKey
	if key == "" && cfg.Endpoint != "" {
		key, secret = "local", "local"
	}
	if key != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key, secret, "")))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration for S3: %w", err)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			o.UsePathStyle = true
		}
		// Checksums only where S3 requires them: the default adds
		// trailing checksums in aws-chunked bodies, which S3-compatible
		// servers do not all understand, and TLS already covers transit.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return &Store{client: client, bucket: cfg.Bucket}, nil
}

// Bucket is the store's bucket name.
func (s *Store) Bucket() string { return s.bucket }

// Ping checks that the bucket can be reached and exists.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)})
	if err != nil {
		return fmt.Errorf("bucket %s: %w", s.bucket, err)
	}
	return nil
}

// Put stores size bytes from r under key in one request; the object is
// visible only once it is complete.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key),
		Body: r, ContentLength: aws.Int64(size)})
	if err != nil {
		return fmt.Errorf("s3 put %s: %w", key, err)
	}
	return nil
}

// Upload streams r, of a length not known in advance, to key in parts of
// partSize, holding one part in memory at a time, and returns the bytes
// stored. Like Put, the object appears only when complete; a failed upload
// is aborted so that its parts are not kept (and billed).
func (s *Store) Upload(ctx context.Context, key string, r io.Reader) (n int64, err error) {
	buf := make([]byte, partSize)
	first, err := io.ReadFull(r, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		// Small enough for one request.
		return int64(first), s.Put(ctx, key, bytes.NewReader(buf[:first]), int64(first))
	} else if err != nil {
		return 0, err
	}
	up, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return 0, fmt.Errorf("s3 upload %s: %w", key, err)
	}
	defer func() {
		if err != nil {
			abortCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			_, _ = s.client.AbortMultipartUpload(abortCtx, &s3.AbortMultipartUploadInput{Bucket: aws.String(s.bucket),
				Key: aws.String(key), UploadId: up.UploadId})
		}
	}()
	var parts []s3types.CompletedPart
	chunk := buf[:first]
	for number := int32(1); ; number++ {
		out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(s.bucket), Key: aws.String(key),
			UploadId: up.UploadId, PartNumber: aws.Int32(number), Body: bytes.NewReader(chunk), ContentLength: aws.Int64(int64(len(chunk)))})
		if err != nil {
			return n, fmt.Errorf("s3 upload %s part %d: %w", key, number, err)
		}
		n += int64(len(chunk))
		parts = append(parts, s3types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(number)})
		read, err := io.ReadFull(r, buf)
		if read == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF) {
			break
		} else if err != nil && err != io.ErrUnexpectedEOF {
			return n, err
		}
		chunk = buf[:read]
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(s.bucket), Key: aws.String(key),
		UploadId: up.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		return n, fmt.Errorf("s3 upload %s: %w", key, err)
	}
	return n, nil
}

// Open returns the object's body, or an error wrapping fs.ErrNotExist.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if isNotFound(err) {
		return nil, fmt.Errorf("s3 object %s: %w", key, fs.ErrNotExist)
	} else if err != nil {
		return nil, fmt.Errorf("s3 get %s: %w", key, err)
	}
	return out.Body, nil
}

func isNotFound(err error) bool {
	var missing *s3types.NoSuchKey
	var api smithy.APIError
	return errors.As(err, &missing) || (errors.As(err, &api) && api.ErrorCode() == "NotFound")
}

// Object is one stored object.
type Object struct {
	Key      string
	Size     int64
	Modified time.Time
}

// List returns every object whose key starts with prefix, in key order.
func (s *Store) List(ctx context.Context, prefix string) ([]Object, error) {
	var out []Object
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3 list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			obj := Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size)}
			if o.LastModified != nil {
				obj.Modified = *o.LastModified
			}
			out = append(out, obj)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes the objects; a key that is already gone is not an error.
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	for _, key := range keys {
		_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("s3 delete %s: %w", key, err)
		}
	}
	return nil
}
