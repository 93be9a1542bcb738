/* outbox.h: to be written */
