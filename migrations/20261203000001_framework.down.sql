DROP TABLE public.outbox_event;
DROP TRIGGER application__config_changed ON public.application__config;
DROP FUNCTION public.application__config_notify();
DROP TABLE public.application__config;
