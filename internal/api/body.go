package api

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// readBody reads a JSON request body whole (the body limit middleware bounds
// it), checking its content type.
func readBody(c echo.Context) ([]byte, error) {
	ct, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if ct != echo.MIMEApplicationJSON {
		return nil, &echo.HTTPError{Code: http.StatusUnsupportedMediaType, Message: "Send the body as application/json."}
	}
	b, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, jsonProblem(err)
	}
	return b, nil
}

// decodeBytes decodes one JSON object from b into v, with the same rules as
// decodeJSON.
func decodeBytes(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return admit.FieldError("body", "The body must hold exactly one JSON object.")
	}
	return nil
}
