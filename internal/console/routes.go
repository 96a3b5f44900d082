package console

import (
	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/server"
)

// Register adds every console route to e.
func (h *Handler) Register(e *echo.Echo) {
	g := e.Group("/console", server.UTF8Forms, server.CSRF(h.secure))
	g.GET("/login", h.loginShow)
	g.POST("/login", h.loginSubmit)
	g.GET("/signup", h.signupShow)
	g.POST("/signup", h.signupSubmit)
	g.GET("/signup/confirm/:token", h.signupConfirmShow, server.HidePath)
	g.POST("/signup/confirm/:token", h.signupConfirm, server.HidePath)

	in := g.Group("", h.requireUser)
	in.POST("/logout", h.logout)
	in.GET("", h.orgsShow)
	h.registerFlags(in)

	all := []admit.Role{admit.RoleOwner, admit.RoleAdmin, admit.RoleCheckIn}
	managers := []admit.Role{admit.RoleOwner, admit.RoleAdmin}
	staff := in.Group("/:org", h.requireRole(all...))
	staff.GET("", h.eventsList)

	admin := in.Group("/:org", h.requireRole(managers...))
	admin.GET("/events/:event", h.eventShow)
	admin.GET("/orders", h.ordersList)
	admin.GET("/orders/:order", h.orderShow)
	admin.POST("/orders/:order/mark-paid", h.orderMarkPaid)
	admin.POST("/orders/:order/cancel", h.orderCancel)
	admin.POST("/orders/:order/refund", h.orderRefund)
	admin.POST("/orders/:order/resend", h.orderResend)
	admin.POST("/orders/:order/attendees", h.orderAttendees)
	admin.POST("/orders/:order/notes", h.orderNote)
	admin.GET("/audit", h.auditList)
	admin.GET("/events/:event/discounts", h.discountsShow)
	admin.POST("/events/:event/discounts", h.discountCreate)
	admin.POST("/events/:event/discounts/:code/delete", h.discountDelete)
	admin.GET("/events/:event/questions", h.questionsShow)
	admin.POST("/events/:event/questions", h.questionCreate)
	admin.POST("/events/:event/questions/:question/delete", h.questionDelete)
	admin.GET("/events/:event/waitlist", h.waitlistShow)
	admin.POST("/events/:event/waiting-room", h.waitingRoomUpdate)
	admin.POST("/events/:event/waitlist/:entry/offer", h.waitlistOffer)

	owners := in.Group("/:org", h.requireRole(admit.RoleOwner))
	h.registerEvents(admin)
	h.registerExports(admin)
	h.registerOps(admin)
	h.registerWebhooks(admin)
	h.registerCheckIn(staff, admin)
	h.registerTeam(g, in, owners)
	h.registerTokens(admin)
}
