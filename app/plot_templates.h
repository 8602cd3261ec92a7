/* The gnuplot templates of plots/ (its .gp files) as C strings; app/plot_templates.c
 * is generated from them by plots/embed.sh at build time. */
#ifndef APP_PLOT_TEMPLATES_H
#define APP_PLOT_TEMPLATES_H

extern const char app_plot_template_common[];
extern const char app_plot_template_lines[];
extern const char app_plot_template_bars[];
extern const char app_plot_template_stacked[];
extern const char app_plot_template_cdf[];
extern const char app_plot_template_marks[];

#endif
