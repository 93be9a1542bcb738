/* ack.h: to be written */
