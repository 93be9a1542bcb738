/* worker.h: to be written */
