/* Turning a handler's reply into the HTTP response libmicrohttpd sends,
 * including the fault shapes that need the socket: a body cut short under a
 * larger Content-Length, and a body trickled a byte at a time. */
#ifndef SCALEKIT_DEV_RESPOND_H
#define SCALEKIT_DEV_RESPOND_H

#include <microhttpd.h>

#include "faults.h"
#include "reply.h"
#include "server.h"

/* Queue r on conn, shaped by fault (NULL: none). Takes r's body in all
 * cases. Returns what MHD_queue_response returns. */
enum MHD_Result dev_respond(struct dev_state *st, struct MHD_Connection *conn,
                            struct dev_reply *r, const struct dev_fault *fault);

#endif
